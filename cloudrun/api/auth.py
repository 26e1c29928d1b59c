"""Bearer API key authentication for every ``/v1`` route."""

from __future__ import annotations

from flask import g, request

from cloudrun.api.context import api_context
from shared.errors import UnauthenticatedError


def require_api_key() -> None:
    """Authenticate the request and remember the key's organisation (Flask ``before_request``).

    Expects ``Authorization: Bearer sy_live_<key_id>_<secret>`` (RFC 6750 §2.1); on success
    ``g.org_id`` and ``g.api_key_id`` are set and every handler scopes its reads and writes to
    ``g.org_id``.

    Raises:
        UnauthenticatedError: Code ``missing_api_key`` (no bearer credentials) or
            ``invalid_api_key`` (malformed, unknown, revoked or wrong key).
        TransientError: The key cannot be checked right now.
    """
    credentials = request.authorization
    if credentials is None or credentials.type != "bearer" or not credentials.token:
        raise UnauthenticatedError(
            "missing_api_key", "send an API key as 'Authorization: Bearer <key>'"
        )
    record = api_context().authenticator.authenticate(credentials.token)
    g.org_id = record.org_id
    g.api_key_id = record.key_id
