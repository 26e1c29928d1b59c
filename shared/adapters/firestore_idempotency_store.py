"""FirestoreIdempotencyStore: idempotency records in Firestore, one document per key.

Layout (DESIGN.md §2)::

    idempotency_keys/{sha256(org_id, key)}            Idempotency-Key of POST .../runs (24 h)
    webhook_receipts/{sha256(trigger_id, delivery)}   webhook delivery ids (7 days)
    event_receipts/{sha256(agent_id, source_run)}     chained runs (7 days)

Claiming a key is one ``create``: of any number of concurrent first requests exactly one
succeeds and the others get ``AlreadyExists``, without a transaction, so fifty identical
requests at once do not queue on one document's lock (Firestore serialises transactions on a
document). Only the rare cases that replace a record (expired, or in flight past its lease)
use a transaction. ``expires_at`` is a timestamp, so a Firestore TTL policy on it deletes old
records; until it does, an expired record counts as absent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from shared.adapters.firestore_support import (
    DocumentCodec,
    firestore_errors,
    run_transaction,
    snapshot_data,
)
from shared.adapters.trigger_records import (
    RECEIPT_COLLECTIONS,
    completed_record,
    decide_begin,
    record_id,
    releasable,
)
from shared.domain.triggers import IdempotencyRecord, ReceiptKind
from shared.ports.idempotency_store import IdempotencyStore

_RECORD = DocumentCodec(IdempotencyRecord, json_fields=("response",))


class FirestoreIdempotencyStore(IdempotencyStore):
    """Records in ``idempotency_keys``, ``webhook_receipts`` and ``event_receipts``.

    Besides the errors each method names, every method raises :class:`TransientError` (code
    ``firestore_unavailable`` or ``firestore_contention``) when Firestore fails in a way a
    retry may fix.

    Args:
        client: Firestore client (of the emulator when ``FIRESTORE_EMULATOR_HOST`` is set).
    """

    def __init__(self, client: firestore.Client) -> None:
        self._client = client

    def _ref(self, kind: ReceiptKind, scope: str, key: str) -> firestore.DocumentReference:
        return self._client.collection(RECEIPT_COLLECTIONS[kind]).document(record_id(scope, key))

    def _read(
        self, ref: firestore.DocumentReference, transaction: firestore.Transaction | None = None
    ) -> IdempotencyRecord | None:
        snapshot = ref.get(transaction=transaction)
        return _RECORD.decode(snapshot_data(snapshot)) if snapshot.exists else None

    @firestore_errors()
    def begin(self, record: IdempotencyRecord, now: datetime) -> tuple[IdempotencyRecord, bool]:
        """See :meth:`IdempotencyStore.begin`."""
        ref = self._ref(record.kind, record.scope, record.key)
        try:
            ref.create(_RECORD.encode(record))
            return record, True
        except AlreadyExists:
            pass
        stored, claimed = decide_begin(self._read(ref), record, now)
        if not claimed:
            return stored, False

        def body(transaction: firestore.Transaction) -> tuple[IdempotencyRecord, bool]:
            decided, won = decide_begin(self._read(ref, transaction), record, now)
            if won:
                transaction.set(ref, _RECORD.encode(decided))
            return decided, won

        return run_transaction(self._client, body)

    @firestore_errors()
    def complete(
        self,
        kind: ReceiptKind,
        scope: str,
        key: str,
        response_status: int,
        response: dict[str, Any],
    ) -> IdempotencyRecord:
        """See :meth:`IdempotencyStore.complete`.

        Raises:
            NotFoundError: Code ``idempotency_record_not_found``.
        """
        ref = self._ref(kind, scope, key)

        def body(transaction: firestore.Transaction) -> IdempotencyRecord:
            done = completed_record(self._read(ref, transaction), response_status, response)
            transaction.set(ref, _RECORD.encode(done))
            return done

        return run_transaction(self._client, body)

    @firestore_errors()
    def release(self, kind: ReceiptKind, scope: str, key: str, run_id: str) -> None:
        """See :meth:`IdempotencyStore.release`."""
        ref = self._ref(kind, scope, key)

        def body(transaction: firestore.Transaction) -> None:
            if releasable(self._read(ref, transaction), run_id):
                transaction.delete(ref)

        run_transaction(self._client, body)
