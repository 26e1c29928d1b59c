"""The integration proxy: the one path of every tool call to the outside world.

Permission check (spec tools and credential grants) → credential injection → egress through the
SSRF-safe client (:mod:`shared.tools.safe_http`) with the call's idempotency key → audit entry
→ redaction of every injected secret from what is returned, stored, traced or logged.
"""
