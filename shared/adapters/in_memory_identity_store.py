"""InMemoryIdentityStore: the IdentityStore twin, for unit tests."""

from __future__ import annotations

import threading

from shared.adapters.records import api_key_exists, org_not_found
from shared.adapters.store_support import check_document_id, new_id, utc_now
from shared.domain.agents import ApiKey, Org
from shared.ports.identity_store import IdentityStore


class InMemoryIdentityStore(IdentityStore):
    """Organisations and API key records in dicts, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orgs: dict[str, Org] = {}
        self._api_keys: dict[str, ApiKey] = {}

    def create_org(self, name: str) -> Org:
        """See :meth:`IdentityStore.create_org`."""
        org = Org(org_id=new_id(), name=name, created_at=utc_now())
        with self._lock:
            self._orgs[org.org_id] = org
        return org

    def get_org(self, org_id: str) -> Org:
        """See :meth:`IdentityStore.get_org`.

        Raises:
            NotFoundError: Code ``org_not_found``.
        """
        with self._lock:
            org = self._orgs.get(org_id)
        if org is None:
            raise org_not_found(org_id)
        return org

    def add_api_key(self, key: ApiKey) -> None:
        """See :meth:`IdentityStore.add_api_key`.

        Raises:
            ConflictError: Code ``api_key_exists``.
            ValidationError: Code ``invalid_id``: ``key.key_id`` cannot name a document.
        """
        check_document_id("key_id", key.key_id)
        with self._lock:
            if key.key_id in self._api_keys:
                raise api_key_exists(key.key_id)
            self._api_keys[key.key_id] = key

    def find_api_key(self, key_id: str) -> ApiKey | None:
        """See :meth:`IdentityStore.find_api_key`."""
        with self._lock:
            return self._api_keys.get(key_id)
