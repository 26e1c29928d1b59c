"""The scheduler thread: sleeps until the next job is due, then hands its attempt to a worker.

One thread decides *when*; a small pool delivers, so a slow HTTP target cannot delay another
job's minute. The thread waits on the store's condition with a timeout that ends at the next
due time, and every store change wakes it to recompute, so there is no polling and a job fires
within milliseconds of its minute.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import grpc
from google.rpc import status_pb2

from emulators.scheduler.jobs import Attempt, Clock, JobStore, system_clock

logger = logging.getLogger(__name__)

Dispatch = Callable[[Attempt], status_pb2.Status]
"""Delivers one attempt and returns its outcome; must not raise for target failures."""

# Re-read the wall clock at least this often: waits run on the monotonic clock, which drifts
# from the wall clock across a suspend or a clock step.
_MAX_WAIT_S = 30.0


class JobRunner:
    """Fires the jobs of a :class:`JobStore` on their schedules.

    Args:
        store: The jobs.
        dispatch: Delivers an attempt; called on a worker thread.
        clock: Source of the current time (the store's clock).
        workers: Attempts delivered at once.
    """

    def __init__(
        self, store: JobStore, dispatch: Dispatch, clock: Clock = system_clock, workers: int = 8
    ) -> None:
        self._store = store
        self._dispatch = dispatch
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scheduler-attempt")
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    def start(self) -> None:
        """Start the scheduler thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop firing; attempts not yet started are dropped, those in flight run on."""
        with self._store.condition:
            self._stopping = True
            self._store.condition.notify_all()
        self._thread.join()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _loop(self) -> None:
        condition = self._store.condition
        with condition:
            while not self._stopping:
                now = self._clock()
                for attempt in self._store.claim_due(now):
                    self._pool.submit(self._deliver, attempt)
                due = self._store.next_due()
                wait_s = _MAX_WAIT_S if due is None else (due - now).total_seconds()
                condition.wait(min(max(wait_s, 0.0), _MAX_WAIT_S))

    def _deliver(self, attempt: Attempt) -> None:
        try:
            status = self._dispatch(attempt)
        except Exception:  # a dispatcher bug must not leave the job marked as running forever
            logger.exception("delivering job %s failed", attempt.job.name)
            status = status_pb2.Status(
                code=grpc.StatusCode.INTERNAL.value[0], message="emulator error while delivering"
            )
        self._store.finish(attempt, status)
