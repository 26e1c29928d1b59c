"""The stored outcome of delivering a run's output to one target."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from shared.domain.base import Model


class DeliveryResult(Model):
    """One delivery target's outcome.

    Attributes:
        target_index: Position of the target in the spec's ``delivery`` list.
        url: Where it was sent.
        succeeded: Whether the target accepted it (2xx).
        status_code: The last HTTP status, or None when no response came.
        error: Reason when not succeeded.
        attempts: Attempts made (Cloud Tasks execution count).
        webhook_id: The Standard Webhooks ``webhook-id`` (the idempotency key receivers dedupe on).
        completed_at: When the outcome was stored (UTC).
    """

    schema_version: Literal[1] = 1
    target_index: int
    url: str
    succeeded: bool
    status_code: int | None = None
    error: str | None = None
    attempts: int = 1
    webhook_id: str
    completed_at: datetime
