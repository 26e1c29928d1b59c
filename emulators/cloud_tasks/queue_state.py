"""The live state of one queue and its tasks: schedule, attempts in flight, tokens.

Not thread-safe by design: :class:`~emulators.cloud_tasks.store.TaskStore` holds its one lock
around every call, so these classes stay plain bookkeeping.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from dataclasses import dataclass, field

from google.cloud import tasks_v2
from google.protobuf import timestamp_pb2
from google.rpc import status_pb2

from emulators.cloud_tasks.delivery import Dispatch, Outcome, prepare
from emulators.cloud_tasks.policy import RatePolicy, RetryPolicy, TokenBucket

logger = logging.getLogger(__name__)


def timestamp(seconds: float) -> timestamp_pb2.Timestamp:
    """A protobuf ``Timestamp`` for a time in seconds since the epoch."""
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(round(seconds * 1e9))
    return stamp


@dataclass(eq=False)
class TaskState:
    """One task and the bookkeeping its message does not show.

    Attributes:
        message: The task as ``GetTask`` reports it (output fields kept up to date).
        due_at: When the next attempt is due, in seconds since the epoch.
        heap_seq: Sequence number of the task's live entry in its queue's schedule.
        in_flight: Attempts dispatched and not yet answered.
        first_attempt_at: Dispatch time of the first attempt, or None before it.
        executions: Responses other than 5xx (``X-CloudTasks-TaskExecutionCount``).
        previous_response: HTTP status of the last response, or None.
        retry: The task's own retry policy (``Task.retry_config``, completed from the queue's
            when the task was created), or None to follow the queue's.
    """

    message: tasks_v2.Task
    due_at: float
    retry: RetryPolicy | None = None
    heap_seq: int = -1
    in_flight: int = 0
    first_attempt_at: float | None = None
    executions: int = 0
    previous_response: int | None = None

    def begin_attempt(self, now: float) -> Dispatch:
        """Count a new attempt and build its request.

        Args:
            now: Dispatch time in seconds since the epoch.

        Returns:
            The HTTP request to send.
        """
        message = self.message
        dispatch = prepare(
            message,
            eta_s=self.due_at,
            retry_count=message.dispatch_count,
            execution_count=self.executions,
            previous_response=self.previous_response,
            now=now,
        )
        self.in_flight += 1
        message.dispatch_count += 1
        # Google keeps only the dispatch time of the first attempt.
        if self.first_attempt_at is None:
            self.first_attempt_at = now
            message.first_attempt = tasks_v2.Attempt(dispatch_time=timestamp(now))
        message.last_attempt = tasks_v2.Attempt(
            schedule_time=message.schedule_time, dispatch_time=timestamp(now)
        )
        return dispatch

    def record_outcome(self, outcome: Outcome, now: float) -> None:
        """Fill in the response fields of the last attempt.

        Args:
            outcome: What the attempt came to.
            now: Response time in seconds since the epoch.
        """
        self.in_flight -= 1
        if outcome.status_code is not None:
            self.message.response_count += 1
            self.previous_response = outcome.status_code
            if outcome.status_code < 500:
                self.executions += 1
        attempt = self.message.last_attempt
        attempt.response_time = timestamp(now)
        attempt.response_status = status_pb2.Status(
            code=outcome.rpc_code.value[0], message=outcome.message
        )


@dataclass(eq=False)
class QueueState:
    """One queue: its settings, tasks, schedule and dispatch budget.

    Attributes:
        message: The queue as ``GetQueue`` reports it.
        rate: Effective rate limits.
        retry: Effective queue-level retry policy.
        bucket: Token bucket pacing dispatches.
        tasks: Tasks by full name.
        running: Attempts in flight.
    """

    message: tasks_v2.Queue
    rate: RatePolicy
    retry: RetryPolicy
    bucket: TokenBucket
    tasks: dict[str, TaskState] = field(default_factory=dict)
    running: int = 0
    # Min-heap of (due_at, seq, task name); entries whose seq no longer matches the task's
    # heap_seq are stale and dropped when they surface, which keeps reschedules O(log n).
    _schedule: list[tuple[float, int, str]] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    @classmethod
    def create(
        cls, message: tasks_v2.Queue, rate: RatePolicy, retry: RetryPolicy, now: float
    ) -> QueueState:
        """A new queue with a full token bucket."""
        bucket = TokenBucket(rate.max_dispatches_per_second, rate.max_burst_size, now)
        return cls(message=message, rate=rate, retry=retry, bucket=bucket)

    def configure(
        self, message: tasks_v2.Queue, rate: RatePolicy, retry: RetryPolicy, now: float
    ) -> None:
        """Apply new settings (UpdateQueue), keeping tasks and earned tokens."""
        self.message, self.rate, self.retry = message, rate, retry
        self.bucket.reconfigure(rate.max_dispatches_per_second, rate.max_burst_size, now)

    def schedule(self, task: TaskState, due_at: float) -> None:
        """Make ``task`` due at ``due_at`` (seconds since the epoch)."""
        task.due_at = due_at
        task.message.schedule_time = timestamp(due_at)
        task.heap_seq = next(self._seq)
        heapq.heappush(self._schedule, (due_at, task.heap_seq, task.message.name))

    def _head(self) -> tuple[float, TaskState] | None:
        while self._schedule:
            due_at, seq, name = self._schedule[0]
            task = self.tasks.get(name)
            if task is not None and task.heap_seq == seq and not task.in_flight:
                return due_at, task
            heapq.heappop(self._schedule)
        return None

    def start(self, task: TaskState, now: float) -> Dispatch:
        """Start an attempt of ``task`` now, whatever the limits (RunTask uses this directly).

        Args:
            task: A task of this queue.
            now: Current time in seconds since the epoch.

        Returns:
            The HTTP request to send.
        """
        self.running += 1
        return task.begin_attempt(now)

    def finish(self, task: TaskState, outcome: Outcome, now: float) -> bool:
        """Record the end of an attempt started by :meth:`start`, and schedule any retry.

        Google deletes a task when it succeeds and when its retry limits are both reached; a
        429 or 503 with ``Retry-After`` postpones the retry to at least that delay.

        Args:
            task: The task of the attempt.
            outcome: What the attempt came to.
            now: Current time in seconds since the epoch.

        Returns:
            True when the task is complete (succeeded or out of retries) and must be removed.
        """
        self.running -= 1
        task.record_outcome(outcome, now)
        name = task.message.name
        if self.tasks.get(name) is not task:
            return False  # deleted or purged while in flight
        if outcome.succeeded:
            logger.info("task %s done (HTTP %s)", name, outcome.status_code)
            return True
        if task.in_flight:
            return False  # a RunTask attempt is still out; its outcome decides
        policy = task.retry or self.retry
        attempts = task.message.dispatch_count
        if not policy.should_retry(attempts, now - (task.first_attempt_at or now)):
            logger.warning("task %s dropped after %d attempts: %s", name, attempts, outcome.message)
            return True
        delay = policy.backoff_s(attempts - 1)
        if outcome.retry_after_s is not None:
            delay = max(delay, outcome.retry_after_s)
        logger.info("task %s failed (%s); retry in %.3fs", name, outcome.message, delay)
        self.schedule(task, now + delay)
        return False

    def start_due(
        self, now: float, limit: int
    ) -> tuple[list[tuple[TaskState, Dispatch]], float | None]:
        """Start attempts of up to ``limit`` due tasks, within the queue's limits.

        Honours the queue's state (only RUNNING dispatches), ``max_concurrent_dispatches`` and
        the token bucket.

        Args:
            now: Current time in seconds since the epoch.
            limit: Most attempts to start (free dispatch workers).

        Returns:
            ``(started, wake_at)``: the tasks started with their requests, and when the next
            task or token becomes available, or None when only a finished attempt or an API
            call can free one.
        """
        started: list[tuple[TaskState, Dispatch]] = []
        if self.message.state != tasks_v2.Queue.State.RUNNING:
            return started, None
        while len(started) < limit and self.running < self.rate.max_concurrent_dispatches:
            head = self._head()
            if head is None:
                return started, None
            due_at, task = head
            if due_at > now:
                return started, due_at
            if not self.bucket.try_take(now):
                return started, self.bucket.next_token_at(now)
            heapq.heappop(self._schedule)
            started.append((task, self.start(task, now)))
        return started, None


@dataclass(frozen=True, eq=False)
class Claim:
    """An attempt in flight: its request, and the queue and task it belongs to.

    Attributes:
        dispatch: The HTTP request to send.
        queue: The queue's state when the attempt started.
        task: The task's state when the attempt started.
    """

    dispatch: Dispatch
    queue: QueueState
    task: TaskState
