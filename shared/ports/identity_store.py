"""IdentityStore: organisations and the stored halves of their API keys."""

from __future__ import annotations

import abc
from datetime import datetime

from shared.domain.agents import ApiKey, Org


class IdentityStore(abc.ABC):
    """Organisations and API key records (hashes only, never keys)."""

    @abc.abstractmethod
    def create_org(self, name: str) -> Org:
        """Create an organisation with a random id."""

    @abc.abstractmethod
    def get_org(self, org_id: str) -> Org:
        """The organisation.

        Raises:
            NotFoundError: No such organisation.
        """

    @abc.abstractmethod
    def add_api_key(self, key: ApiKey) -> None:
        """Store an API key record.

        Raises:
            ConflictError: A key with this ``key_id`` exists.
        """

    @abc.abstractmethod
    def find_api_key(self, key_id: str) -> ApiKey | None:
        """The key record with this public id, or None."""

    @abc.abstractmethod
    def list_api_keys(self, org_id: str) -> tuple[ApiKey, ...]:
        """The organisation's key records, oldest first (at most a few hundred per org)."""

    @abc.abstractmethod
    def revoke_api_key(self, key_id: str, revoked_at: datetime) -> None:
        """Mark a key revoked; only its ``revoked`` and ``revoked_at`` fields change.

        Raises:
            NotFoundError: Code ``api_key_not_found``.
        """

    @abc.abstractmethod
    def expire_api_key(self, key_id: str, expires_at: datetime, rotated_to: str) -> None:
        """Set a rotated key's end of grace and its successor; nothing else changes.

        Raises:
            NotFoundError: Code ``api_key_not_found``.
        """

    @abc.abstractmethod
    def record_api_key_use(self, key_id: str, used_at: datetime) -> None:
        """Set ``last_used_at`` (callers write it at most once a minute per key); a missing
        key is ignored."""
