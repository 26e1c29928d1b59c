"""InMemoryIdentityStore: the IdentityStore twin, for unit tests."""

from __future__ import annotations

import threading
from datetime import datetime

from shared.adapters.records import api_key_exists, api_key_not_found, org_not_found
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

    def list_api_keys(self, org_id: str) -> tuple[ApiKey, ...]:
        """See :meth:`IdentityStore.list_api_keys`."""
        with self._lock:
            keys = [key for key in self._api_keys.values() if key.org_id == org_id]
        return tuple(sorted(keys, key=lambda key: (key.created_at, key.key_id)))

    def _update(self, key_id: str, changes: dict[str, object], *, must_exist: bool) -> None:
        with self._lock:
            key = self._api_keys.get(key_id)
            if key is None:
                if must_exist:
                    raise api_key_not_found(key_id)
                return
            self._api_keys[key_id] = key.model_copy(update=changes)

    def revoke_api_key(self, key_id: str, revoked_at: datetime) -> None:
        """See :meth:`IdentityStore.revoke_api_key`.

        Raises:
            NotFoundError: Code ``api_key_not_found``.
        """
        self._update(key_id, {"revoked": True, "revoked_at": revoked_at}, must_exist=True)

    def expire_api_key(self, key_id: str, expires_at: datetime, rotated_to: str) -> None:
        """See :meth:`IdentityStore.expire_api_key`.

        Raises:
            NotFoundError: Code ``api_key_not_found``.
        """
        changes = {"expires_at": expires_at, "rotated_to": rotated_to}
        self._update(key_id, changes, must_exist=True)

    def record_api_key_use(self, key_id: str, used_at: datetime) -> None:
        """See :meth:`IdentityStore.record_api_key_use`."""
        self._update(key_id, {"last_used_at": used_at}, must_exist=False)
