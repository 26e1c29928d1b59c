"""IdentityStore: organisations and the stored halves of their API keys."""

from __future__ import annotations

import abc

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
