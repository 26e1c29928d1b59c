"""InMemoryCredentialStore: the CredentialStore twin, credentials in a dict."""

from __future__ import annotations

import threading
from datetime import datetime

from shared.adapters.store_support import (
    check_page_size,
    decode_page_token,
    encode_page_token,
    make_page,
)
from shared.domain.agents import Page
from shared.domain.credentials import Credential, Grant
from shared.errors import ConflictError, NotFoundError
from shared.ports.credential_store import CredentialStore


class InMemoryCredentialStore(CredentialStore):
    """Credentials by id, guarded by one lock."""

    def __init__(self) -> None:
        self._credentials: dict[str, Credential] = {}
        self._lock = threading.Lock()

    def create(self, credential: Credential) -> None:
        """See :meth:`CredentialStore.create`."""
        with self._lock:
            if credential.credential_id in self._credentials:
                raise ConflictError("credential_exists", f"{credential.credential_id} exists")
            self._credentials[credential.credential_id] = credential

    def get(self, credential_id: str) -> Credential:
        """See :meth:`CredentialStore.get`."""
        with self._lock:
            return self._get(credential_id)

    def _get(self, credential_id: str) -> Credential:
        found = self._credentials.get(credential_id)
        if found is None:
            raise NotFoundError("credential_not_found", f"no credential {credential_id}")
        return found

    def list_for_org(
        self, org_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[Credential]:
        """See :meth:`CredentialStore.list_for_org`."""
        check_page_size(page_size)
        with self._lock:
            found = [c for c in self._credentials.values() if c.org_id == org_id]
        ordered = sorted(found, key=lambda c: (c.created_at, c.credential_id))
        if page_token is not None:
            after = decode_page_token(page_token, "credentials", datetime, str)
            ordered = [c for c in ordered if (c.created_at, c.credential_id) > after]
        return make_page(ordered[: page_size + 1], page_size, _page_token)

    def _update(self, credential_id: str, **changes: object) -> Credential:
        with self._lock:
            updated = self._get(credential_id).model_copy(update=changes)
            self._credentials[credential_id] = updated
            return updated

    def add_grant(self, credential_id: str, grant: Grant) -> Credential:
        """See :meth:`CredentialStore.add_grant`."""
        with self._lock:
            current = self._get(credential_id)
            grants = (*(g for g in current.grants if g.agent_id != grant.agent_id), grant)
            updated = current.model_copy(update={"grants": grants})
            self._credentials[credential_id] = updated
            return updated

    def revoke(self, credential_id: str, at: datetime) -> Credential:
        """See :meth:`CredentialStore.revoke`."""
        with self._lock:
            current = self._get(credential_id)
            updated = current.model_copy(update={"revoked_at": current.revoked_at or at})
            self._credentials[credential_id] = updated
            return updated

    def record_refresh(self, credential_id: str, expires_at: datetime | None) -> None:
        """See :meth:`CredentialStore.record_refresh`."""
        self._update(credential_id, expires_at=expires_at)

    def record_use(self, credential_id: str, at: datetime) -> None:
        """See :meth:`CredentialStore.record_use`."""
        self._update(credential_id, last_used_at=at)


def _page_token(credential: Credential) -> str:
    return encode_page_token("credentials", credential.created_at, credential.credential_id)
