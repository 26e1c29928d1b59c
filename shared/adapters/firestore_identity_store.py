"""FirestoreIdentityStore: organisations and API key records in Firestore.

Layout (DESIGN.md §2)::

    orgs/{org_id}          Org, random id
    api_keys/{key_id}      ApiKey: the key's public id and the hash of its secret, never the key

The key's public id is the document id, so authenticating a request is one document read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists, NotFound
from google.cloud import firestore

from shared.adapters.firestore_support import DocumentCodec, firestore_errors, snapshot_data
from shared.adapters.records import api_key_exists, api_key_not_found, org_not_found
from shared.adapters.store_support import check_document_id, is_document_id, new_id, utc_now
from shared.domain.agents import ApiKey, Org
from shared.errors import NotFoundError
from shared.ports.identity_store import IdentityStore
from shared.resources import API_KEYS, ORGS

_ORG = DocumentCodec(Org)
_API_KEY = DocumentCodec(ApiKey)


class FirestoreIdentityStore(IdentityStore):
    """Organisations in ``orgs`` and API key records in ``api_keys``.

    Besides the errors each method names, every method raises :class:`TransientError` (code
    ``firestore_unavailable``) when Firestore fails in a way a retry may fix.

    Args:
        client: Firestore client (of the emulator when ``FIRESTORE_EMULATOR_HOST`` is set).
    """

    def __init__(self, client: firestore.Client) -> None:
        self._orgs = client.collection(ORGS)
        self._api_keys = client.collection(API_KEYS)

    @firestore_errors()
    def create_org(self, name: str) -> Org:
        """See :meth:`IdentityStore.create_org`."""
        org = Org(org_id=new_id(), name=name, created_at=utc_now())
        self._orgs.document(org.org_id).create(_ORG.encode(org))
        return org

    @firestore_errors()
    def get_org(self, org_id: str) -> Org:
        """See :meth:`IdentityStore.get_org`.

        Raises:
            NotFoundError: Code ``org_not_found``.
        """
        if not is_document_id(org_id):
            raise org_not_found(org_id)
        snapshot = self._orgs.document(org_id).get()
        if not snapshot.exists:
            raise org_not_found(org_id)
        return _ORG.decode(snapshot_data(snapshot))

    @firestore_errors()
    def add_api_key(self, key: ApiKey) -> None:
        """See :meth:`IdentityStore.add_api_key`.

        Raises:
            ConflictError: Code ``api_key_exists``.
            ValidationError: Code ``invalid_id``: ``key.key_id`` cannot name a document.
        """
        check_document_id("key_id", key.key_id)
        try:
            self._api_keys.document(key.key_id).create(_API_KEY.encode(key))
        except AlreadyExists:
            raise api_key_exists(key.key_id) from None

    @firestore_errors()
    def find_api_key(self, key_id: str) -> ApiKey | None:
        """See :meth:`IdentityStore.find_api_key`; an id no key could have finds None."""
        if not is_document_id(key_id):
            return None
        snapshot = self._api_keys.document(key_id).get()
        return _API_KEY.decode(snapshot_data(snapshot)) if snapshot.exists else None

    @firestore_errors()
    def list_api_keys(self, org_id: str) -> tuple[ApiKey, ...]:
        """See :meth:`IdentityStore.list_api_keys` (a single-field equality query)."""
        query = self._api_keys.where(filter=firestore.FieldFilter("org_id", "==", org_id))
        keys = [_API_KEY.decode(snapshot_data(snapshot)) for snapshot in query.stream()]
        return tuple(sorted(keys, key=lambda key: (key.created_at, key.key_id)))

    def _update(self, key_id: str, changes: dict[str, Any]) -> None:
        # update() touches only the named fields and fails on a missing document, so a
        # last-used write can never undo a concurrent revocation.
        if not is_document_id(key_id):
            raise api_key_not_found(key_id)
        try:
            self._api_keys.document(key_id).update(changes)
        except NotFound:
            raise api_key_not_found(key_id) from None

    @firestore_errors()
    def revoke_api_key(self, key_id: str, revoked_at: datetime) -> None:
        """See :meth:`IdentityStore.revoke_api_key`.

        Raises:
            NotFoundError: Code ``api_key_not_found``.
        """
        self._update(key_id, {"revoked": True, "revoked_at": revoked_at})

    @firestore_errors()
    def expire_api_key(self, key_id: str, expires_at: datetime, rotated_to: str) -> None:
        """See :meth:`IdentityStore.expire_api_key`.

        Raises:
            NotFoundError: Code ``api_key_not_found``.
        """
        self._update(key_id, {"expires_at": expires_at, "rotated_to": rotated_to})

    @firestore_errors()
    def record_api_key_use(self, key_id: str, used_at: datetime) -> None:
        """See :meth:`IdentityStore.record_api_key_use`."""
        try:
            self._update(key_id, {"last_used_at": used_at})
        except NotFoundError:
            return
