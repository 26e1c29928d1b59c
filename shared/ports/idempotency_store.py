"""IdempotencyStore: one effect per key (Idempotency-Key headers, webhook and event receipts)."""

from __future__ import annotations

import abc
from datetime import datetime
from typing import Any

from shared.domain.triggers import IdempotencyRecord, ReceiptKind


class IdempotencyStore(abc.ABC):
    """Records keyed by ``(kind, scope, key)``; see :class:`IdempotencyRecord`.

    A record whose ``expires_at`` has passed counts as absent (Firestore's TTL deletes it later,
    up to a day late), so the key is free again.
    """

    @abc.abstractmethod
    def begin(self, record: IdempotencyRecord, now: datetime) -> tuple[IdempotencyRecord, bool]:
        """Claim ``record``'s key for ``record``, unless a live record holds it.

        The claim succeeds when no live record exists, or when the live one is in flight past
        its ``locked_until`` with the same fingerprint (its holder crashed): that record is taken
        over with ``record``'s ``locked_until``, keeping its reserved ``run_id``.

        Args:
            record: A new in-flight record.
            now: The current time (UTC).

        Returns:
            ``(stored, claimed)``: the record now stored (the caller's, a taken-over one, or
            the live one that holds the key) and whether the caller holds the claim.

        Raises:
            TransientError: The store is unavailable.
        """

    @abc.abstractmethod
    def complete(
        self,
        kind: ReceiptKind,
        scope: str,
        key: str,
        response_status: int,
        response: dict[str, Any],
    ) -> IdempotencyRecord:
        """Mark the claimed record completed with the response to replay.

        Raises:
            NotFoundError: Code ``idempotency_record_not_found``.
            TransientError: The store is unavailable.
        """

    @abc.abstractmethod
    def release(self, kind: ReceiptKind, scope: str, key: str, run_id: str) -> None:
        """Drop an in-flight claim whose effect failed, so the key can be retried.

        Only the record reserving ``run_id`` is removed; a completed record is kept.

        Raises:
            TransientError: The store is unavailable.
        """
