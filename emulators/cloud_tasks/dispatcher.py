"""Runs due attempts: one scheduler thread and a fixed pool of worker threads.

The scheduler sleeps on the store's condition variable until the earliest moment new work can
be due (the next task's schedule time or the next token of a queue's bucket) or until it is
notified, starts every attempt the queues' limits allow, and hands them to idle workers. It
never starts more attempts than there are idle workers, so an attempt's request leaves when
its token is taken: rate limits hold as measured at the receiver, not just in the queue.
Workers send one attempt each, outside the lock, and report the outcome to the store.

Fault injection: with ``copies`` > 1 every attempt is sent that many times to its target, as
Cloud Tasks may do ("a non-zero number of duplicate executions do occur"), so receivers can be
tested for idempotency. The first copy's response is the attempt's outcome (it alone decides
success, retry and backoff, as if the later copies were duplicates Google sent besides), the
others are logged and otherwise ignored. The copies take no tokens, so a target may see up to
``copies`` times ``max_dispatches_per_second``. By default they go one after another, and the
attempt keeps its concurrency slot and its worker until the last copy is answered, so a target
never sees more than ``max_concurrent_dispatches`` requests of a queue at once. With
``concurrent_copies`` they go at the same time, each on its own thread and client, released
together, as when Google retries a task whose first delivery still runs: two deliveries of one
task then overlap at the target (which may see ``copies`` times ``max_concurrent_dispatches``
requests of a queue at once).
"""

from __future__ import annotations

import contextlib
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
        concurrent_copies: Send an attempt's copies at the same time, not one after another.
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
        *,
        concurrent_copies: bool = False,
    ) -> None:
        if copies < 1:
            raise ValueError(f"copies must be at least 1, not {copies}")
        self._store = store
        self._workers = workers
        self._copies = copies
        self._concurrent_copies = concurrent_copies
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
        # The first copy decides (see the module docstring).
        if self._concurrent_copies and self._copies > 1:
            outcomes = self._send_at_once(client, dispatch)
        else:
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

    def _send_at_once(self, client: httpx.Client, dispatch: Dispatch) -> list[Outcome]:
        # Daemon threads, as the workers are: a copy may wait out its dispatch deadline.
        outcomes = [Outcome(None, grpc.StatusCode.INTERNAL, "emulator error")] * self._copies
        together = threading.Barrier(self._copies)

        def send_copy(number: int) -> None:
            try:
                with contextlib.ExitStack() as stack:
                    own = client
                    if number > 0:  # no client shared across threads, as in _work
                        own = stack.enter_context(
                            httpx.Client(follow_redirects=True, transport=self._transport)
                        )
                    with contextlib.suppress(threading.BrokenBarrierError):
                        together.wait(timeout=5.0)  # a copy that failed to start holds none back
                    outcomes[number] = send(own, dispatch, self._store.now)
            except Exception:  # as in _work: logged, and the copy counts as an emulator error
                logger.exception("copy %d of %s failed", number + 1, dispatch.task_name)

        threads = [
            threading.Thread(target=send_copy, args=(number,), name="cloud-tasks-copy", daemon=True)
            for number in range(1, self._copies)
        ]
        for thread in threads:
            thread.start()
        send_copy(0)
        for thread in threads:
            thread.join()
        return outcomes
