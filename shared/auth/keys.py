"""Managing an organisation's API keys: create, list, revoke, rotate.

Every operation names the caller's organisation; another organisation's key is not found.
A new key is returned once, in full, and only its hash is stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from shared.auth.api_keys import KeyMode, mint_api_key
from shared.auth.onboarding import ensure_pepper
from shared.composition import Dependencies
from shared.domain.agents import ApiKey, Scope
from shared.domain.base import Model
from shared.errors import ConflictError, NotFoundError

MAX_GRACE_PERIOD_S = 7 * 24 * 3600


class ApiKeyView(Model):
    """What the API shows of a key: everything but its secret and hash.

    Attributes:
        key_id: Public id, the part after ``sy_live_`` / ``sy_test_``.
        name: The owner's label.
        mode: ``live`` or ``test``.
        scopes: What the key may do (``admin`` includes every other scope).
        created_at: When it was made (UTC).
        expires_at: When it stops working, or null for never.
        revoked: True once revoked.
        revoked_at: When it was revoked.
        rotated_to: The id of the key that replaced it by rotation.
        last_used_at: When it last authenticated a request, to within a minute.
    """

    schema_version: Literal[1] = 1
    key_id: str
    name: str
    mode: KeyMode
    scopes: tuple[Scope, ...]
    created_at: datetime
    expires_at: datetime | None = None
    revoked: bool = False
    revoked_at: datetime | None = None
    rotated_to: str | None = None
    last_used_at: datetime | None = None

    @classmethod
    def of(cls, record: ApiKey) -> ApiKeyView:
        """The view of a stored record."""
        return cls.model_validate(
            record.model_dump(exclude={"schema_version", "org_id", "secret_hash"})
        )


class CreatedApiKey(Model):
    """A new key, shown once.

    Attributes:
        key: The full key (``sy_live_...``); store it now, it is never shown again.
        api_key: The key's record.
    """

    schema_version: Literal[1] = 1
    key: str
    api_key: ApiKeyView


class NewApiKey(Model):
    """Body of ``POST /v1/keys``.

    Attributes:
        name: A label, 1 to 100 characters.
        scopes: At least one scope.
        mode: ``live`` (default) or ``test``: the key's prefix.
        expires_in_s: Seconds until the key stops working (60 s to 2 years), or null for never.
    """

    schema_version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=100)
    scopes: tuple[Scope, ...] = Field(min_length=1, max_length=6)
    mode: KeyMode = "live"
    expires_in_s: int | None = Field(default=None, ge=60, le=2 * 365 * 24 * 3600)


class RotateApiKey(Model):
    """Body of ``POST /v1/keys/{id}/rotate``.

    Attributes:
        grace_period_s: Seconds the old key keeps working, 0 to seven days (default one day).
    """

    schema_version: Literal[1] = 1
    grace_period_s: int = Field(default=24 * 3600, ge=0, le=MAX_GRACE_PERIOD_S)


def _mint(
    deps: Dependencies,
    org_id: str,
    *,
    name: str,
    scopes: tuple[Scope, ...],
    mode: KeyMode,
    expires_at: datetime | None,
) -> CreatedApiKey:
    minted = mint_api_key(ensure_pepper(deps.secrets), mode)
    record = ApiKey(
        key_id=minted.key_id,
        org_id=org_id,
        secret_hash=minted.secret_hash,
        created_at=deps.clock(),
        name=name,
        mode=mode,
        scopes=tuple(dict.fromkeys(scopes)),
        expires_at=expires_at,
    )
    deps.identities.add_api_key(record)
    return CreatedApiKey(key=minted.key, api_key=ApiKeyView.of(record))


def create_key(deps: Dependencies, org_id: str, request: NewApiKey) -> CreatedApiKey:
    """Mint a key for the organisation.

    Raises:
        ConflictError: Code ``api_key_exists`` (a 64-bit id collision: practically never).
        TransientError: A store or the secret service is unavailable.
    """
    expires_at = None
    if request.expires_in_s is not None:
        expires_at = deps.clock() + timedelta(seconds=request.expires_in_s)
    return _mint(
        deps,
        org_id,
        name=request.name,
        scopes=request.scopes,
        mode=request.mode,
        expires_at=expires_at,
    )


def list_keys(deps: Dependencies, org_id: str) -> tuple[ApiKeyView, ...]:
    """The organisation's keys, oldest first, revoked and expired ones included."""
    return tuple(ApiKeyView.of(record) for record in deps.identities.list_api_keys(org_id))


def _owned(deps: Dependencies, org_id: str, key_id: str) -> ApiKey:
    record = deps.identities.find_api_key(key_id)
    if record is None or record.org_id != org_id:
        raise NotFoundError("api_key_not_found", f"API key {key_id} not found")
    return record


def revoke_key(deps: Dependencies, org_id: str, key_id: str) -> ApiKeyView:
    """Revoke a key; revoking a revoked key changes nothing.

    Raises:
        NotFoundError: Code ``api_key_not_found``: no such key in the organisation.
    """
    record = _owned(deps, org_id, key_id)
    if not record.revoked:
        deps.identities.revoke_api_key(key_id, deps.clock())
    return ApiKeyView.of(_owned(deps, org_id, key_id))


def rotate_key(
    deps: Dependencies, org_id: str, key_id: str, request: RotateApiKey
) -> CreatedApiKey:
    """Replace a key by a new one with the same name, scopes, mode and expiry; the old one
    keeps working for the grace period (never past its own expiry).

    Raises:
        NotFoundError: Code ``api_key_not_found``.
        ConflictError: Code ``api_key_revoked`` (revoked keys are not rotated) or
            ``api_key_rotated`` (rotate its successor instead).
    """
    record = _owned(deps, org_id, key_id)
    if record.revoked:
        raise ConflictError("api_key_revoked", f"API key {key_id} is revoked")
    if record.rotated_to is not None:
        raise ConflictError(
            "api_key_rotated", f"API key {key_id} was rotated to {record.rotated_to}"
        )
    created = _mint(
        deps,
        org_id,
        name=record.name,
        scopes=record.scopes,
        mode=record.mode,
        expires_at=record.expires_at,
    )
    grace_ends = deps.clock() + timedelta(seconds=request.grace_period_s)
    if record.expires_at is not None:
        grace_ends = min(grace_ends, record.expires_at)
    deps.identities.expire_api_key(key_id, grace_ends, created.api_key.key_id)
    return created
