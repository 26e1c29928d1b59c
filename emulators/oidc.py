"""Unsigned OIDC ID tokens, as the emulators attach them to HTTP targets.

Cloud Tasks and Cloud Scheduler send ``Authorization: Bearer <ID token>`` to a target whose task
or job has ``oidc_token`` set. Locally the JWT is unsigned (``alg: none``), since nothing local
holds a service account key and local receivers cannot check Google's signature anyway; it
carries the claims a handler checks: ``aud`` (the token's audience, else the target URL, as
Google does), ``email`` and ``iss``.
"""

from __future__ import annotations

from collections.abc import Mapping

import jwt

LIFETIME_S = 3600  # Google's ID tokens expire an hour after they are issued


def unsigned_id_token(
    service_account_email: str,
    audience: str,
    issued_at_s: float,
    extra_claims: Mapping[str, object] | None = None,
) -> str:
    """An unsigned OIDC ID token (``alg: none``) with the claims Google's tokens carry.

    Args:
        service_account_email: The ``oidc_token.service_account_email`` of the task or job.
        audience: The token audience: ``oidc_token.audience``, else the target URL.
        issued_at_s: Time of the attempt in seconds since the epoch.
        extra_claims: Further claims, such as Cloud Scheduler's ``azp``.

    Returns:
        The compact JWT, ``<header>.<claims>.`` (empty signature).
    """
    claims = {
        "iss": "https://accounts.google.com",
        "aud": audience,
        "sub": service_account_email,
        "email": service_account_email,
        "email_verified": True,
        "iat": int(issued_at_s),
        "exp": int(issued_at_s) + LIFETIME_S,
        **(extra_claims or {}),
    }
    return jwt.encode(claims, key="", algorithm="none")  # PyJWT's "no key" for alg none
