"""What the trigger stores decide, whatever they keep records in.

Both implementations of :class:`~shared.ports.idempotency_store.IdempotencyStore` and
:class:`~shared.ports.trigger_store.TriggerStore` decide with these functions (the Firestore
adapters inside a transaction, the twins under a lock), so the twin cannot drift from the
adapter in who holds a key or whose cron state wins.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from shared import resources
from shared.domain.triggers import CronState, IdempotencyRecord, ReceiptKind, RecordState
from shared.errors import ConflictError, NotFoundError

RECEIPT_COLLECTIONS = {
    ReceiptKind.IDEMPOTENCY_KEY: resources.IDEMPOTENCY_KEYS,
    ReceiptKind.WEBHOOK_RECEIPT: resources.WEBHOOK_RECEIPTS,
    ReceiptKind.EVENT_RECEIPT: resources.EVENT_RECEIPTS,
}


def record_id(scope: str, key: str) -> str:
    """Document id of a record: SHA-256 hex of scope and key.

    Keys come from clients and senders (any printable text); the digest is always a valid
    document id, and the scope in it keeps one organisation's keys apart from another's.
    """
    return hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()


def decide_begin(
    existing: IdempotencyRecord | None, record: IdempotencyRecord, now: datetime
) -> tuple[IdempotencyRecord, bool]:
    """What :meth:`IdempotencyStore.begin` stores, given the record that holds the key.

    Returns:
        ``(stored, claimed)``; the store writes ``stored`` only when ``claimed``.
    """
    if existing is None or existing.expires_at <= now:
        return record, True
    stalled = existing.state == RecordState.IN_FLIGHT and existing.locked_until <= now
    if stalled and existing.fingerprint == record.fingerprint:
        return existing.model_copy(update={"locked_until": record.locked_until}), True
    return existing, False


def completed_record(
    existing: IdempotencyRecord | None, status: int, response: dict[str, Any]
) -> IdempotencyRecord:
    """``existing`` completed with ``response``.

    Raises:
        NotFoundError: Code ``idempotency_record_not_found``.
    """
    if existing is None:
        raise NotFoundError("idempotency_record_not_found", "the idempotency record is gone")
    return existing.model_copy(
        update={"state": RecordState.COMPLETED, "response_status": status, "response": response},
        deep=True,
    )


def releasable(existing: IdempotencyRecord | None, run_id: str) -> bool:
    """Whether :meth:`IdempotencyStore.release` removes ``existing``."""
    return (
        existing is not None
        and existing.state == RecordState.IN_FLIGHT
        and existing.run_id == run_id
    )


def saved_cron_state(
    stored: CronState | None, state: CronState, expected_revision: int
) -> CronState:
    """``state`` as :meth:`TriggerStore.save_cron_state` stores it over ``stored``.

    Raises:
        ConflictError: Code ``cron_state_changed``.
    """
    current = stored.revision if stored is not None else 0
    if current != expected_revision:
        raise ConflictError(
            "cron_state_changed",
            f"the cron state of agent {state.agent_id} is at revision {current}, "
            f"not {expected_revision}",
        )
    return state.model_copy(update={"revision": expected_revision + 1})


def trigger_not_found(trigger_id: str) -> NotFoundError:
    """The error for a webhook trigger that does not exist."""
    return NotFoundError("trigger_not_found", f"no webhook trigger {trigger_id}")
