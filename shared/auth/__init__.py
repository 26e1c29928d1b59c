"""API keys and organisation onboarding: minting, hashing and verifying keys, and bootstrap.

Only the HMAC-SHA256 of a key's secret with the platform pepper is ever stored; the key itself
is shown once, when it is minted.
"""
