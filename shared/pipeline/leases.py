"""Leases: of two deliveries of one task running at the same time, one does the work.

Cloud Tasks may deliver a task twice at once (a retry after a dispatch deadline while the first
copy still runs, or one of the duplicates Google allows). A task's create-if-absent record is
stored after its side effect, so both copies would find none and both act: call the model,
GET the page, POST the webhook. So a copy that finds no record takes the work's lease
(:meth:`~shared.ports.run_store.RunStore.acquire_lease`) before acting, looks for the record
once more (a holder may have stored it and let go meanwhile), and lets the lease go when done.
A copy that finds the lease taken answers ``work_in_progress``, a TransientError, so the task
is retried later and then finds the record.

A holder that dies holding its lease delays the work by the lease's time to live: the work's
own time limit plus :data:`MARGIN_S`. On the queue's last attempt, a copy waits that long for
the lease rather than answer 503, so the work is never left to a holder that died with it.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator

from shared.composition import Dependencies
from shared.domain.base import Model
from shared.errors import TransientError

logger = logging.getLogger(__name__)

#: Seconds a lease outlives its work's time limit: the store writes and trace uploads around
#: the side effect.
MARGIN_S = 30.0
#: The longest a tool may run when its configuration names no ``timeout_s``, in seconds.
DEFAULT_TOOL_TIME_LIMIT_S = 60.0
#: Seconds between tries of a last attempt waiting for a lease.
POLL_S = 0.5


def step_key(step: int) -> str:
    """Lease key of a run's model step."""
    return f"step-{step}"


def tool_call_key(step: int, call_index: int) -> str:
    """Lease key of one tool call."""
    return f"step-{step}-call-{call_index}"


def delivery_key(target_index: int) -> str:
    """Lease key of one webhook delivery."""
    return f"delivery-{target_index}"


def tool_time_limit_s(config: Model) -> float:
    """The longest one call of a tool takes, in seconds: its configuration's ``timeout_s``."""
    return float(getattr(config, "timeout_s", DEFAULT_TOOL_TIME_LIMIT_S))


def is_last_attempt(attempt: int, max_attempts: int) -> bool:
    """True on the queue's last attempt (never when ``max_attempts`` is -1, unlimited)."""
    return 0 <= max_attempts <= attempt


@contextlib.contextmanager
def leased(
    deps: Dependencies, run_id: str, key: str, time_limit_s: float, *, last_attempt: bool
) -> Iterator[None]:
    """Hold the lease ``key`` of a run while the block runs; let it go after, however it ends.

    The block must look for the work's record again before acting (see the module).

    Args:
        deps: Dependencies.
        run_id: The run.
        key: The work's lease key (:func:`step_key`, :func:`tool_call_key`,
            :func:`delivery_key`).
        time_limit_s: The longest the work takes, in seconds; the lease lasts
            :data:`MARGIN_S` longer.
        last_attempt: This is the queue's last attempt: wait for a taken lease to be let go
            or to expire instead of giving up at once.

    Raises:
        TransientError: Code ``work_in_progress``: another holder has the lease (on a last
            attempt, still has it after its time to live, so it is alive and working).
            Or the store's, when it is unavailable.
    """
    holder = uuid.uuid4().hex  # one per attempt: a retry is a new holder
    ttl_s = time_limit_s + MARGIN_S
    if not _acquire(deps, run_id, key, holder, ttl_s, wait=last_attempt):
        raise TransientError(
            "work_in_progress", f"another delivery of this task holds {key} of run {run_id}"
        )
    try:
        yield
    finally:
        _release(deps, run_id, key, holder)


def _acquire(
    deps: Dependencies, run_id: str, key: str, holder: str, ttl_s: float, *, wait: bool
) -> bool:
    # A lease taken just before this wait began expires ttl_s later; a poll more to see it.
    deadline = time.monotonic() + (ttl_s + POLL_S if wait else 0.0)
    while not deps.runs.acquire_lease(run_id, key, holder, ttl_s):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
    return True


def _release(deps: Dependencies, run_id: str, key: str, holder: str) -> None:
    # Letting go only spares the next holder the wait; a lease left behind expires on its own,
    # so a store failure here must not hide the block's outcome.
    try:
        deps.runs.release_lease(run_id, key, holder)
    except TransientError as error:
        logger.warning("lease %s of run %s not released: %s", key, run_id, error.message)
