"""InMemoryIdempotencyStore: the IdempotencyStore twin, for unit tests."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from shared.adapters.trigger_records import (
    completed_record,
    decide_begin,
    record_id,
    releasable,
)
from shared.domain.triggers import IdempotencyRecord, ReceiptKind
from shared.ports.idempotency_store import IdempotencyStore


class InMemoryIdempotencyStore(IdempotencyStore):
    """Records in a dict under one lock, decided as the Firestore adapter decides them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[tuple[ReceiptKind, str], IdempotencyRecord] = {}

    def begin(self, record: IdempotencyRecord, now: datetime) -> tuple[IdempotencyRecord, bool]:
        """See :meth:`IdempotencyStore.begin`."""
        slot = (record.kind, record_id(record.scope, record.key))
        with self._lock:
            stored, claimed = decide_begin(self._records.get(slot), record, now)
            if claimed:
                self._records[slot] = stored
        return stored.model_copy(deep=True), claimed

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
        slot = (kind, record_id(scope, key))
        with self._lock:
            done = completed_record(self._records.get(slot), response_status, response)
            self._records[slot] = done
        return done.model_copy(deep=True)

    def release(self, kind: ReceiptKind, scope: str, key: str, run_id: str) -> None:
        """See :meth:`IdempotencyStore.release`."""
        slot = (kind, record_id(scope, key))
        with self._lock:
            if releasable(self._records.get(slot), run_id):
                del self._records[slot]
