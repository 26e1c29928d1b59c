"""FirestoreCredentialStore: credential metadata in the ``credentials`` collection.

One document per credential, its id the credential id. Grants are a field of the document (an
organisation grants a credential to a handful of agents), changed in a transaction.
``last_used_at`` is written at most once a minute by the proxy, so the document never gets hot.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from shared.adapters.firestore_support import (
    DocumentCodec,
    FirestoreIndex,
    firestore_errors,
    run_transaction,
    snapshot_data,
)
from shared.adapters.store_support import (
    check_page_size,
    decode_page_token,
    encode_page_token,
    is_document_id,
    make_page,
)
from shared.domain.agents import Page
from shared.domain.credentials import Credential, Grant
from shared.errors import ConflictError, NotFoundError
from shared.ports.credential_store import CredentialStore
from shared.resources import CREDENTIALS

FIRESTORE_INDEXES = (
    FirestoreIndex(CREDENTIALS, (("org_id", "ASCENDING"), ("created_at", "ASCENDING"))),
)

_CREDENTIAL = DocumentCodec(Credential)


class FirestoreCredentialStore(CredentialStore):
    """Credentials in Firestore.

    Every method raises :class:`TransientError` (code ``firestore_unavailable``) when Firestore
    fails in a way a retry may fix.

    Args:
        client: Firestore client (of the emulator when ``FIRESTORE_EMULATOR_HOST`` is set).
    """

    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._collection = client.collection(CREDENTIALS)

    @firestore_errors()
    def create(self, credential: Credential) -> None:
        """See :meth:`CredentialStore.create`."""
        try:
            self._collection.document(credential.credential_id).create(
                _CREDENTIAL.encode(credential)
            )
        except AlreadyExists:
            raise ConflictError("credential_exists", f"{credential.credential_id} exists") from None

    @firestore_errors()
    def get(self, credential_id: str) -> Credential:
        """See :meth:`CredentialStore.get`."""
        snapshot = self._reference(credential_id).get()
        if not snapshot.exists:
            raise _not_found(credential_id)
        return _CREDENTIAL.decode(snapshot_data(snapshot))

    def _reference(self, credential_id: str) -> firestore.DocumentReference:
        # An id Firestore cannot take as a document id ("__x__", "a/b") names no credential.
        if not is_document_id(credential_id):
            raise _not_found(credential_id)
        return self._collection.document(credential_id)

    @firestore_errors()
    def list_for_org(
        self, org_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[Credential]:
        """See :meth:`CredentialStore.list_for_org`."""
        check_page_size(page_size)
        query = (
            self._collection.where(filter=firestore.FieldFilter("org_id", "==", org_id))
            .order_by("created_at")
            .order_by("__name__")
        )
        if page_token is not None:
            created_at, credential_id = decode_page_token(page_token, "credentials", datetime, str)
            query = query.start_after({"created_at": created_at, "__name__": credential_id})
        found = [_CREDENTIAL.decode(snapshot_data(s)) for s in query.limit(page_size + 1).stream()]
        return make_page(
            found,
            page_size,
            lambda c: encode_page_token("credentials", c.created_at, c.credential_id),
        )

    def _change(self, credential_id: str, change: Any) -> Credential:
        reference = self._reference(credential_id)

        def body(transaction: firestore.Transaction) -> Credential:
            snapshot = reference.get(transaction=transaction)
            if not snapshot.exists:
                raise _not_found(credential_id)
            updated: Credential = change(_CREDENTIAL.decode(snapshot_data(snapshot)))
            transaction.set(reference, _CREDENTIAL.encode(updated))
            return updated

        return run_transaction(self._client, body)

    @firestore_errors()
    def add_grant(self, credential_id: str, grant: Grant) -> Credential:
        """See :meth:`CredentialStore.add_grant`."""
        return self._change(
            credential_id,
            lambda c: c.model_copy(
                update={"grants": (*(g for g in c.grants if g.agent_id != grant.agent_id), grant)}
            ),
        )

    @firestore_errors()
    def revoke(self, credential_id: str, at: datetime) -> Credential:
        """See :meth:`CredentialStore.revoke`."""
        return self._change(
            credential_id, lambda c: c.model_copy(update={"revoked_at": c.revoked_at or at})
        )

    @firestore_errors()
    def record_refresh(self, credential_id: str, expires_at: datetime | None) -> None:
        """See :meth:`CredentialStore.record_refresh`."""
        self._collection.document(credential_id).update({"expires_at": expires_at})

    @firestore_errors()
    def record_use(self, credential_id: str, at: datetime) -> None:
        """See :meth:`CredentialStore.record_use`."""
        self._collection.document(credential_id).update({"last_used_at": at})


def _not_found(credential_id: str) -> NotFoundError:
    return NotFoundError("credential_not_found", f"no credential {credential_id}")
