"""The credential vault: secret values in Secret Manager, metadata in the CredentialStore.

Only this module reads a credential's secret (JSON of :class:`CredentialSecret`), and only the
proxy calls it. OAuth 2.0 access tokens are refreshed with the refresh-token grant (RFC 6749
§6) when they expire within :data:`REFRESH_MARGIN_S`; the new token is stored as a new secret
version. Revoking marks the metadata (checked on every call) and adds an empty tombstone version,
so the newest version no longer holds the value.
"""

from __future__ import annotations

import json
import secrets as random
from datetime import datetime, timedelta

import httpx
from pydantic import Field, model_validator

from shared import resources
from shared.composition import Dependencies
from shared.domain.base import Model
from shared.domain.credentials import Credential, CredentialType, Grant
from shared.errors import ConflictError, NotFoundError, PermanentError, TransientError
from shared.proxy.redaction import MIN_SECRET_CHARS
from shared.tools.safe_http import send

REFRESH_MARGIN_S = 60
# Headers a credential may not be injected as: they steer the request, not authenticate it.
RESERVED_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "idempotency-key"}
)
TOKEN_TIMEOUT_S = 10.0


class CredentialSecret(Model):
    """What Secret Manager holds for one credential (never stored anywhere else)."""

    value: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    client_secret: str | None = None

    def values(self) -> tuple[str, ...]:
        """Every secret string, for redaction."""
        found = (self.value, self.access_token, self.refresh_token, self.client_secret)
        return tuple(v for v in found if v)


class NewCredential(Model):
    """``POST /v1/credentials``: a credential to store.

    Attributes:
        name: Display name.
        type: ``api_key`` (``value``, ``header``), ``bearer`` (``value``) or ``oauth2``
            (``access_token``, ``refresh_token``, ``expires_at``, ``token_url``, ``client_id``,
            ``client_secret``).
        value: The API key or bearer token (8 characters at least).
        header: The header an ``api_key`` is sent in.
        access_token: OAuth 2.0 access token.
        refresh_token: OAuth 2.0 refresh token, exchanged for a new access token before expiry.
        expires_at: When the access token expires.
        token_url: The OAuth 2.0 token endpoint (refresh-token grant).
        client_id: OAuth 2.0 client id.
        client_secret: OAuth 2.0 client secret.
        scopes: OAuth scopes (informational).
    """

    name: str = Field(min_length=1, max_length=200)
    type: CredentialType
    value: str | None = None
    header: str = Field(default="X-Api-Key", pattern=r"^[A-Za-z0-9-]{1,64}$")
    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: datetime | None = None
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    scopes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> NewCredential:
        if self.type is CredentialType.OAUTH2:
            needed = {"access_token": self.access_token, "token_url": self.token_url}
            if self.refresh_token and not self.client_id:
                needed["client_id"] = None
        else:
            needed = {"value": self.value}
        if self.header.lower() in RESERVED_HEADERS:
            raise ValueError(f"header {self.header!r} cannot carry a credential")
        missing = [name for name, v in needed.items() if not v]
        if missing:
            raise ValueError(f"a {self.type.value} credential needs {', '.join(missing)}")
        for v in (self.value, self.access_token, self.refresh_token, self.client_secret):
            if v is not None and len(v) < MIN_SECRET_CHARS:
                raise ValueError(f"secret values have at least {MIN_SECRET_CHARS} characters")
        return self


def store_credential(deps: Dependencies, org_id: str, new: NewCredential) -> Credential:
    """Put the secret in Secret Manager, then the metadata in the store.

    Raises:
        TransientError: Secret Manager or the store is unavailable.
    """
    credential_id = "cred_" + random.token_hex(8)
    secret_id = resources.credential_secret_id(credential_id)
    secret = CredentialSecret(
        value=new.value, access_token=new.access_token, refresh_token=new.refresh_token,
        client_secret=new.client_secret,
    )  # fmt: skip
    deps.secrets.put(secret_id, secret.model_dump_json(exclude_none=True).encode())
    credential = Credential(
        credential_id=credential_id, org_id=org_id, name=new.name, type=new.type,
        secret_id=secret_id, header=new.header, scopes=new.scopes, token_url=new.token_url,
        client_id=new.client_id, expires_at=new.expires_at, created_at=deps.clock(),
    )  # fmt: skip
    deps.credentials.create(credential)
    return credential


def revoke_credential(deps: Dependencies, credential: Credential) -> Credential:
    """Revoke: refused from the next call on; the newest secret version becomes empty."""
    revoked = deps.credentials.revoke(credential.credential_id, deps.clock())
    deps.secrets.put(credential.secret_id, b"{}")
    return revoked


def load_secret(deps: Dependencies, credential: Credential, http: httpx.Client) -> CredentialSecret:
    """The credential's secret, its OAuth 2.0 access token refreshed when about to expire.

    Raises:
        PermanentError: Code ``credential_unavailable``: no secret, or the refresh was refused.
        TransientError: Secret Manager or the token endpoint is unavailable.
    """
    try:
        secret = CredentialSecret.model_validate_json(deps.secrets.access(credential.secret_id))
    except NotFoundError:
        raise PermanentError("credential_unavailable", "the credential has no secret") from None
    soon = deps.clock() + timedelta(seconds=REFRESH_MARGIN_S)
    expiring = credential.expires_at is not None and credential.expires_at <= soon
    if credential.type is CredentialType.OAUTH2 and expiring:
        secret = refresh(deps, credential, secret, http)
    return secret


def refresh(
    deps: Dependencies, credential: Credential, secret: CredentialSecret, http: httpx.Client
) -> CredentialSecret:
    """Exchange the refresh token for a new access token; store it as a new secret version.

    Raises:
        PermanentError: Code ``credential_unavailable``: no refresh token, or refused (4xx).
        TransientError: Code ``token_endpoint_unavailable``.
    """
    if not secret.refresh_token or not credential.token_url:
        raise PermanentError("credential_unavailable", "the access token expired")
    form = {"grant_type": "refresh_token", "refresh_token": secret.refresh_token}
    if credential.client_id:
        form["client_id"] = credential.client_id
    if secret.client_secret:
        form["client_secret"] = secret.client_secret
    fetched = send(
        http, "POST", credential.token_url, timeout_s=TOKEN_TIMEOUT_S, max_bytes=64_000,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        content=httpx.QueryParams(form).__str__().encode(),
    )  # fmt: skip
    if fetched.status >= 500 or fetched.status == 429:
        raise TransientError("token_endpoint_unavailable", f"token endpoint: {fetched.status}")
    try:
        answer = json.loads(fetched.body)
        access_token = str(answer["access_token"])
    except (ValueError, KeyError, TypeError):
        # The body may echo the refresh token: it is never put in the message.
        raise PermanentError(
            "credential_unavailable", f"the token endpoint refused the refresh ({fetched.status})"
        ) from None
    fresh = secret.model_copy(
        update={
            "access_token": access_token,
            "refresh_token": str(answer.get("refresh_token") or secret.refresh_token),
        }
    )
    deps.secrets.put(credential.secret_id, fresh.model_dump_json(exclude_none=True).encode())
    expires_in = answer.get("expires_in")
    expires_at = (
        deps.clock() + timedelta(seconds=float(expires_in))
        if isinstance(expires_in, int | float)
        else None
    )
    deps.credentials.record_refresh(credential.credential_id, expires_at)
    return fresh


def get_credential(deps: Dependencies, org_id: str, credential_id: str) -> Credential:
    """The organisation's credential (another organisation's is not found).

    Raises:
        NotFoundError: Code ``credential_not_found``.
    """
    credential = deps.credentials.get(credential_id)
    if credential.org_id != org_id:
        raise NotFoundError("credential_not_found", f"no credential {credential_id}")
    return credential


def grant_credential(
    deps: Dependencies, org_id: str, credential_id: str, grant: Grant
) -> Credential:
    """Grant the credential to one of the organisation's agents (replacing its grant).

    Raises:
        NotFoundError: No such credential or agent in the organisation.
        ConflictError: Code ``credential_revoked``.
    """
    credential = get_credential(deps, org_id, credential_id)
    if credential.revoked_at is not None:
        raise ConflictError("credential_revoked", f"credential {credential_id} is revoked")
    deps.agents.get_agent(org_id, grant.agent_id)
    return deps.credentials.add_grant(credential_id, grant)
