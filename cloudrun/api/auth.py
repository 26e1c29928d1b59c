"""Authentication, scopes and rate limits for every ``/v1`` route.

A caller sends ``Authorization: Bearer <credential>`` (RFC 6750 §2.1), one of:

- an **API key** (``sy_live_...`` / ``sy_test_...``): the key's organisation and scopes
  (``shared.auth.authenticator``);
- a **Firebase ID token** (a JWT, ``<header>.<payload>.<signature>``, which no key prefix
  starts and no key contains) of a person who signed in with Firebase Authentication
  (``shared.auth.firebase``, revocation checked): the organisation of their membership, named
  in the ``X-Switchyard-Org`` header or their only one, and the scopes of their role
  (``shared.auth.memberships``).

Each route's scope is declared here, by blueprint and method, with per-endpoint exceptions
(:data:`SCOPES_BY_BLUEPRINT`, :data:`SCOPES_BY_ENDPOINT`). A ``/v1`` route of a blueprint not in
the table needs ``admin``: a new blueprint is closed until someone decides who may call it
(``tests/unit/test_api_openapi.py`` lists such routes).

Two decisions about requests without valid credentials:

- **CORS preflight**: ``OPTIONS`` requests pass without credentials, because browsers send
  preflights without them (https://fetch.spec.whatwg.org/#cors-preflight-fetch). Flask answers
  them itself with the route's ``Allow`` methods and no data; no handler runs. The API sends no
  ``Access-Control-Allow-*`` headers, so browsers of other origins still may not call it.
- **Failed authentication is rate limited per client address**: every refusal that cost a
  lookup (a well-formed key whose checksum holds, or an ID token, that turned out to be
  wrong) takes a token from its address's bucket (``AUTH_FAILURE_RATE_PER_S``,
  ``AUTH_FAILURE_BURST``, in each instance's memory as the key limiter); an empty bucket turns
  that 401 into 429 ``auth_failures_rate_limited`` with ``Retry-After``. Guessing keys means
  sending such credentials, so it is what the bucket slows down. Requests refused offline (no
  credentials, a malformed key, a typo the checksum catches) cost nothing, take no token and
  always get their 401; requests with valid credentials are never counted, so one address's
  guessing does not lock out others behind the same NAT. The address is the last entry of
  ``X-Forwarded-For`` (the one Google's front end appends on Cloud Run; a client cannot forge
  it), else the peer's. (Behind an external Application Load Balancer the last entry would be
  the balancer's: take the one before it.)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from flask import g, request

from cloudrun.api.context import ApiContext, api_context
from shared.auth.api_keys import KEY_PREFIXES, parse_key
from shared.auth.memberships import ORG_HEADER, SCOPES_BY_ROLE, select_membership
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
    "v1.audit": (ADMIN, ADMIN),
    "v1.members": (ADMIN, ADMIN),
}
# Endpoints whose scope is not their blueprint's; None: any authenticated caller.
SCOPES_BY_ENDPOINT: Mapping[str, Scope | None] = {
    # Starting a run is a run write, though the route sits under /agents/{id}.
    "v1.runs.trigger_run": "runs:write",
    # Who am I: every caller may ask.
    "v1.members.get_me": None,
}


class InsufficientScopeError(PermanentError):
    """The caller is authenticated but lacks the route's scope (RFC 6750 §3.1
    ``insufficient_scope``)."""

    http_status = 403


def required_scope(endpoint: str, method: str) -> Scope | None:
    """The scope a request to ``endpoint`` with ``method`` needs (``admin`` when undeclared;
    None when any authenticated caller may make it)."""
    if endpoint in SCOPES_BY_ENDPOINT:
        return SCOPES_BY_ENDPOINT[endpoint]
    blueprint = endpoint.rpartition(".")[0]
    read, write = SCOPES_BY_BLUEPRINT.get(blueprint, (ADMIN, ADMIN))
    return read if method in READ_METHODS else write


def client_address() -> str:
    """The caller's IP address: the last ``X-Forwarded-For`` entry, else the peer's."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    last = forwarded.rpartition(",")[2].strip()
    return last or request.remote_addr or "unknown"


def _is_id_token(token: str) -> bool:
    # A JWT (header.payload.signature) without a key's prefix; anything else is checked as an
    # API key, whose parser refuses it offline (invalid_api_key).
    return token.count(".") == 2 and not token.startswith(tuple(KEY_PREFIXES.values()))


def _sign_in(context: ApiContext, token: str) -> tuple[Collection[Scope], str]:
    # Sets the caller's organisation and actor; returns their scopes and rate-limit bucket.
    if _is_id_token(token):
        user = context.id_tokens.verify(token)
        membership = select_membership(
            context.deps.members, user.uid, request.headers.get(ORG_HEADER) or None
        )
        g.org_id = membership.org_id
        g.uid = user.uid
        g.role = membership.role
        g.actor = f"user:{user.uid}"
        return SCOPES_BY_ROLE[membership.role], g.actor
    record = context.authenticator.authenticate(token)
    g.org_id = record.org_id
    g.api_key_id = record.key_id
    g.api_key_scopes = record.scopes
    g.actor = f"api_key:{record.key_id}"
    return record.scopes, g.actor


def _needs_a_lookup(token: str) -> bool:
    # An ID token is verified (and checked for revocation) online; a key only once its form and
    # checksum hold offline.
    if _is_id_token(token):
        return True
    try:
        parse_key(token)
    except UnauthenticatedError:
        return False
    return True


def _authenticated(context: ApiContext) -> tuple[Collection[Scope], str]:
    credentials = request.authorization
    if credentials is None or credentials.type != "bearer" or not credentials.token:
        raise UnauthenticatedError(
            "missing_api_key",  # the code predates ID tokens; kept for clients that test it
            "send an API key or a Firebase ID token as 'Authorization: Bearer <token>'",
        )
    try:
        return _sign_in(context, credentials.token)
    except UnauthenticatedError:
        if not _needs_a_lookup(credentials.token):
            raise
        retry_after_s = context.failure_limiter.acquire(client_address())
        if retry_after_s > 0:
            raise RateLimitedError(
                "auth_failures_rate_limited",
                "too many failed authentications from this address",
                retry_after_s,
            ) from None
        raise


def authenticate() -> None:
    """Authenticate the request, check its scope and rate (Flask ``before_request`` of ``/v1``).

    On success ``g.org_id`` (every handler scopes its reads and writes to it), ``g.scopes`` and
    ``g.actor`` (who acts, for the audit log: ``api_key:<key_id>`` or ``user:<uid>``) are set;
    for a key also ``g.api_key_id`` and ``g.api_key_scopes``, for a person ``g.uid`` and
    ``g.role``. ``OPTIONS`` (CORS preflight) passes unauthenticated.

    Raises:
        UnauthenticatedError: Code ``missing_api_key`` (no bearer credentials); for keys
            ``invalid_api_key``, ``api_key_revoked``, ``api_key_expired``; for ID tokens
            ``invalid_id_token``, ``id_token_expired``, ``id_token_revoked``, ``user_disabled``.
        NotAMemberError: Code ``not_a_member`` or ``no_membership`` (403).
        PermanentError: Code ``org_required`` (400): a person of several organisations named
            none.
        InsufficientScopeError: Code ``insufficient_scope`` (403).
        RateLimitedError: Code ``rate_limited`` (per key or person) or
            ``auth_failures_rate_limited`` (per address), 429 with ``Retry-After``.
        TransientError: The credentials cannot be checked right now.
    """
    if request.method == "OPTIONS":
        return
    context = api_context()
    scopes, bucket = _authenticated(context)
    g.scopes = tuple(scopes)
    if request.endpoint is not None:
        scope = required_scope(request.endpoint, request.method)
        if scope is not None and not grants(scopes, scope):
            raise InsufficientScopeError(
                "insufficient_scope",
                f"the caller lacks the '{scope}' scope",
                required_scope=scope,
            )
    retry_after_s = context.limiter.acquire(bucket)
    if retry_after_s > 0:
        raise RateLimitedError("rate_limited", "too many requests for this caller", retry_after_s)
