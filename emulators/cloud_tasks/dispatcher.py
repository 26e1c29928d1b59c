"""Runs due attempts: one scheduler thread and a fixed pool of worker threads.

The scheduler sleeps on the store's condition variable until the earliest moment new work can
be due (the next task's schedule time or the next token of a queue's bucket) or until it is
notified, starts every attempt the queues' limits allow, and hands them to idle workers. It
never starts more attempts than there are idle workers, so an attempt's request leaves when
its token is taken: rate limits hold as measured at the receiver, not just in the queue.
Workers send one attempt each, outside the lock, and report the outcome to the store.

Fault injection: with ``copies`` > 1 every attempt is sent that many times to its target, as
Cloud Tasks may do ("a non-zero number of duplicate executions do occur"), so receivers can be
tested for idempotency. The copies go one after another: the first copy's response is the
attempt's outcome (it alone decides success, retry and backoff, as if the later copies were
duplicates Google sent after the fact), the others are logged and otherwise ignored. The
attempt keeps its concurrency slot and its worker until the last copy is answered, so a target
never sees more than ``max_concurrent_dispatches`` requests of a queue at once; the copies take
no tokens, so a target may see up to ``copies`` times ``max_dispatches_per_second``. Copies
never overlap, so this does not exercise two deliveries of one task running at the same time.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

import grpc
import httpx
from google.cloud import tasks_v2

from emulators.cloud_tasks.delivery import Dispatch, Outcome, send
from emulators.cloud_tasks.queue_state import Claim
from emulators.cloud_tasks.store import TaskStore

logger = logging.getLogger(__name__)


class Dispatcher:
    """Dispatches the store's due tasks over HTTP.

    Args:
        store: The state to dispatch from.
        workers: Worker threads, the most attempts in flight across all queues.
        copies: Requests sent per attempt (1, or more to inject duplicates; see the module).
        transport: HTTP transport of the workers' clients; httpx's default when None (tests
            pass an ``httpx.MockTransport``).

    Raises:
        ValueError: When ``copies`` is less than 1.
    """

    def __init__(
        self,
        store: TaskStore,
        workers: int = 64,
        copies: int = 1,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if copies < 1:
            raise ValueError(f"copies must be at least 1, not {copies}")
        self._store = store
        self._workers = workers
        self._copies = copies
        self._transport = transport
        self._busy = 0  # guarded by store.changed
        self._stopping = False  # guarded by store.changed
        self._claims: queue.SimpleQueue[Claim | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the scheduler and the workers.

        They are daemon threads: a request may legitimately wait up to its 30-minute dispatch
        deadline, and must not keep a stopping emulator alive.
        """
        self._threads = [
            threading.Thread(target=self._schedule, name="cloud-tasks-scheduler", daemon=True)
        ] + [
            threading.Thread(target=self._work, name=f"cloud-tasks-worker-{i}", daemon=True)
            for i in range(self._workers)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop scheduling; workers exit after their current request.

        Args:
            timeout_s: Seconds to wait for all threads; a worker still waiting for a response
                then is left to end with the process.
        """
        with self._store.changed:
            self._stopping = True
            self._store.changed.notify_all()
        for _ in range(self._workers):
            self._claims.put(None)
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def run_task(self, name: str, view: int) -> tasks_v2.Task:
        """RunTask: dispatch the task now, whatever the queue's state and limits.

        Args:
            name: Full task name.
            view: Response view.

        Returns:
            The task as dispatched, before the response.

        Raises:
            RpcError: NOT_FOUND or INVALID_ARGUMENT, from the store.
        """
        with self._store.changed:
            claim, task = self._store.run_task(name, view)
            # May exceed the pool: the attempt then waits for a worker, as RunTask is manual.
            self._busy += 1
        self._claims.put(claim)
        return task

    def _schedule(self) -> None:
        changed = self._store.changed
        with changed:
            while not self._stopping:
                claims, wake_at = self._store.start_due(self._workers - self._busy)
                self._busy += len(claims)
                for claim in claims:
                    self._claims.put(claim)
                timeout = None if wake_at is None else max(0.0, wake_at - self._store.now())
                changed.wait(timeout)

    def _work(self) -> None:
        # One client per worker: no connection pool shared across threads.
        with httpx.Client(follow_redirects=True, transport=self._transport) as client:
            while (claim := self._claims.get()) is not None:
                try:
                    outcome = self._send_copies(client, claim.dispatch)
                except Exception:  # a bug must neither kill the worker nor strand the task
                    logger.exception("dispatch of %s failed", claim.dispatch.task_name)
                    outcome = Outcome(None, grpc.StatusCode.INTERNAL, "emulator error")
                with self._store.changed:
                    self._busy -= 1
                    self._store.finish(claim, outcome)

    def _send_copies(self, client: httpx.Client, dispatch: Dispatch) -> Outcome:
        # One after another; the first copy decides (see the module docstring).
        outcomes = [send(client, dispatch, self._store.now) for _ in range(self._copies)]
        if self._copies > 1:
            for number, outcome in enumerate(outcomes, start=1):
                answer = (
                    f"HTTP {outcome.status_code}"
                    if outcome.status_code is not None
                    else f"no answer ({outcome.message})"
                )
                logger.info(
                    "task %s copy %d/%d: %s", dispatch.task_name, number, self._copies, answer
                )
        return outcomes[0]
