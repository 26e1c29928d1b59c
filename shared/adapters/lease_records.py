"""What the run stores do to leases, whatever they keep them in.

Both implementations of :meth:`~shared.ports.run_store.RunStore.acquire_lease` decide with
:func:`take_lease`; they differ only in how they read and write it (Firestore in a transaction,
the twin under its lock), as :mod:`shared.adapters.records` does for runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.adapters.store_support import check_document_id
from shared.errors import ValidationError


@dataclass(frozen=True)
class Lease:
    """One piece of a run's work, taken by one holder until it expires.

    Attributes:
        holder: Who took it.
        acquired_at: When it was taken (or renewed), UTC.
        expires_at: When another holder may take it over, UTC.
    """

    holder: str
    acquired_at: datetime
    expires_at: datetime


def check_lease(run_id: str, key: str, holder: str, ttl_s: float) -> None:
    """Refuse arguments no lease can have.

    Raises:
        ValidationError: Code ``invalid_id`` or ``invalid_lease``.
    """
    check_document_id("run_id", run_id)
    check_document_id("key", key)
    if not holder:
        raise ValidationError("invalid_lease", "a lease needs a holder")
    if not ttl_s > 0:
        raise ValidationError("invalid_lease", f"ttl_s must be positive, not {ttl_s}")


def new_lease(holder: str, ttl_s: float, now: datetime) -> Lease:
    """A lease of ``holder`` taken at ``now`` for ``ttl_s`` seconds."""
    return Lease(holder, now, now + timedelta(seconds=ttl_s))


def take_lease(current: Lease | None, holder: str, ttl_s: float, now: datetime) -> Lease | None:
    """The lease to store when ``holder`` may take it, else None.

    ``holder`` may take a lease that is absent, expired (``expires_at <= now``) or its own (a
    renewal).

    Args:
        current: The stored lease, or None.
        holder: Who asks.
        ttl_s: Seconds the lease lasts from ``now``.
        now: The store's time, UTC.
    """
    if current is not None and current.holder != holder and current.expires_at > now:
        return None
    return new_lease(holder, ttl_s, now)
