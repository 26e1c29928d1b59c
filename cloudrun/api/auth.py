"""Bearer API key authentication, scopes and the per-key rate limit for every ``/v1`` route.

Each route's scope is declared here, by blueprint and method, with per-endpoint exceptions
(:data:`SCOPES_BY_BLUEPRINT`, :data:`SCOPES_BY_ENDPOINT`). A ``/v1`` route of a blueprint not in
the table needs ``admin``: a new blueprint is closed until someone decides who may call it
(``tests/unit/test_api_scopes.py`` lists such routes).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import g, request

from cloudrun.api.context import api_context
from shared.auth.scopes import ADMIN, grants
from shared.domain.agents import Scope
from shared.errors import PermanentError, RateLimitedError, UnauthenticatedError

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Blueprint (as Flask names it under v1) -> (scope for reads, scope for writes).
SCOPES_BY_BLUEPRINT: Mapping[str, tuple[Scope, Scope]] = {
    "v1.agents": ("agents:read", "agents:write"),
    "v1.runs": ("runs:read", "runs:write"),
    "v1.events": ("runs:read", "runs:write"),
    "v1.trace": ("runs:read", "runs:write"),
    "v1.evals": ("runs:read", "runs:write"),
    "v1.credentials": ("credentials:write", "credentials:write"),
    "v1.keys": (ADMIN, ADMIN),
}
# Endpoints whose scope is not their blueprint's.
SCOPES_BY_ENDPOINT: Mapping[str, Scope] = {
    # Starting a run is a run write, though the route sits under /agents/{id}.
    "v1.runs.trigger_run": "runs:write",
}


class InsufficientScopeError(PermanentError):
    """The key is valid but lacks the route's scope (RFC 6750 §3.1 ``insufficient_scope``)."""

    http_status = 403


def required_scope(endpoint: str, method: str) -> Scope:
    """The scope a request to ``endpoint`` with ``method`` needs (``admin`` when undeclared)."""
    if endpoint in SCOPES_BY_ENDPOINT:
        return SCOPES_BY_ENDPOINT[endpoint]
    blueprint = endpoint.rpartition(".")[0]
    read, write = SCOPES_BY_BLUEPRINT.get(blueprint, (ADMIN, ADMIN))
    return read if method in READ_METHODS else write


def require_api_key() -> None:
    """Authenticate the request, check its scope and rate (Flask ``before_request``).

    Expects ``Authorization: Bearer sy_live_<key_id>_<secret><checksum>`` (RFC 6750 §2.1); on
    success ``g.org_id``, ``g.api_key_id``, ``g.api_key_scopes`` and ``g.actor`` (who acts, for
    the audit log: ``api_key:<key_id>``) are set and every handler
    scopes its reads and writes to ``g.org_id``.

    Raises:
        UnauthenticatedError: Code ``missing_api_key`` (no bearer credentials),
            ``invalid_api_key`` (malformed, bad checksum, unknown or wrong key),
            ``api_key_revoked`` or ``api_key_expired``.
        InsufficientScopeError: Code ``insufficient_scope`` (403).
        RateLimitedError: Code ``rate_limited`` (429 with ``Retry-After``).
        TransientError: The key cannot be checked right now.
    """
    credentials = request.authorization
    if credentials is None or credentials.type != "bearer" or not credentials.token:
        raise UnauthenticatedError(
            "missing_api_key", "send an API key as 'Authorization: Bearer <key>'"
        )
    context = api_context()
    record = context.authenticator.authenticate(credentials.token)
    g.org_id = record.org_id
    g.api_key_id = record.key_id
    g.api_key_scopes = record.scopes
    g.actor = f"api_key:{record.key_id}"
    if request.endpoint is not None:
        scope = required_scope(request.endpoint, request.method)
        if not grants(record.scopes, scope):
            raise InsufficientScopeError(
                "insufficient_scope",
                f"this API key lacks the '{scope}' scope",
                required_scope=scope,
            )
    retry_after_s = context.limiter.acquire(record.key_id)
    if retry_after_s > 0:
        raise RateLimitedError("rate_limited", "too many requests for this API key", retry_after_s)
