"""The emulated Cloud Tasks service's state: queues, tasks and recently used task names.

One condition variable, :attr:`TaskStore.changed`, guards all of it. Every API call takes it
briefly; the dispatcher waits on it and is notified whenever work may have become available
(a task created, a queue resumed or reconfigured, an attempt finished). HTTP requests never run
under it. Errors are the gRPC statuses Google answers with.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import grpc
from google.cloud import tasks_v2
from google.protobuf import field_mask_pb2

from emulators.cloud_tasks import delivery, queue_config
from emulators.cloud_tasks.dedup import RecentNames
from emulators.cloud_tasks.delivery import Outcome
from emulators.cloud_tasks.names import checked, parent_of
from emulators.cloud_tasks.queue_state import Claim, QueueState, TaskState, timestamp
from emulators.grpc_service import RpcError, paginate

#: Google: "another task with the same name can't be created for ~1 hour after the original
#: task was deleted or executed" (CreateTaskRequest.task, queues created with Cloud Tasks).
DEFAULT_DEDUP_WINDOW_S = 3600.0

_MAX_QUEUE_PAGE = 9800  # ListQueuesRequest.page_size: "The maximum page size is 9800."
_MAX_TASK_PAGE = 1000  # ListTasksRequest.page_size: "The maximum page size is 1000."


def _not_found(what: str, name: str) -> RpcError:
    return RpcError(grpc.StatusCode.NOT_FOUND, f"{what} not found: {name}")


def _new_queue(name: str) -> tasks_v2.Queue:
    return tasks_v2.Queue(name=name, state=tasks_v2.Queue.State.RUNNING)


def _with_view(task: tasks_v2.Task, view: int) -> tasks_v2.Task:
    # A copy, so that serialising the answer outside the lock cannot race with dispatches.
    answer = tasks_v2.Task(task)
    answer.view = tasks_v2.Task.View(view or tasks_v2.Task.View.BASIC)
    return answer


class TaskStore:
    """Queues and tasks of the emulated service.

    The API methods mirror the RPCs they are named after and take their request fields:
    ``parent`` and ``name`` are full resource names, ``view`` is a ``Task.View`` value,
    ``page_size`` and ``page_token`` page as in Google's List methods. They return copies, so
    the gRPC layer serialises answers outside the lock.

    Args:
        dedup_window_s: Seconds during which the name of a deleted or executed task is refused.
        clock: Seconds since the epoch; injectable for tests.
    """

    def __init__(
        self,
        dedup_window_s: float = DEFAULT_DEDUP_WINDOW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.changed = threading.Condition()
        self._clock = clock
        self._queues: dict[str, QueueState] = {}
        self._recent_names = RecentNames(dedup_window_s)

    def now(self) -> float:
        """Current time on the store's clock, in seconds since the epoch."""
        return self._clock()

    def _queue(self, name: str) -> QueueState:
        queue = self._queues.get(checked(name, "queue"))
        if queue is None:
            raise _not_found("queue", name)
        return queue

    def _task(self, name: str) -> tuple[QueueState, TaskState]:
        queue = self._queue(parent_of(checked(name, "task")))
        task = queue.tasks.get(name)
        if task is None:
            raise _not_found("task", name)
        return queue, task

    # --- queues ---------------------------------------------------------------------------

    def create_queue(self, parent: str, queue: tasks_v2.Queue) -> tasks_v2.Queue:
        """CreateQueue: add a queue with Google's defaults for unspecified settings.

        Raises:
            RpcError: INVALID_ARGUMENT for a bad name or setting, ALREADY_EXISTS when the queue
                exists, UNIMPLEMENTED for queue-level targets.
        """
        checked(parent, "location")
        if parent_of(checked(queue.name, "queue")) != parent:
            raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "queue name is not under parent")
        # Merging into a new queue drops the output-only fields the request may carry.
        new = queue_config.merged(_new_queue(queue.name), queue, field_mask_pb2.FieldMask())
        reported, rate, retry = queue_config.effective(new)
        with self.changed:
            if queue.name in self._queues:
                raise RpcError(grpc.StatusCode.ALREADY_EXISTS, f"queue exists: {queue.name}")
            self._queues[queue.name] = QueueState.create(reported, rate, retry, self._clock())
            return tasks_v2.Queue(reported)

    def get_queue(self, name: str) -> tasks_v2.Queue:
        """GetQueue. Raises: RpcError NOT_FOUND or INVALID_ARGUMENT."""
        with self.changed:
            return tasks_v2.Queue(self._queue(name).message)

    def update_queue(self, queue: tasks_v2.Queue, mask: field_mask_pb2.FieldMask) -> tasks_v2.Queue:
        """UpdateQueue: change the masked settings, creating the queue when it does not exist.

        Raises:
            RpcError: INVALID_ARGUMENT for a bad name, mask or setting.
        """
        checked(queue.name, "queue")
        with self.changed:
            existing = self._queues.get(queue.name)
            current = existing.message if existing else _new_queue(queue.name)
            reported, rate, retry = queue_config.effective(
                queue_config.merged(current, queue, mask)
            )
            if existing:
                existing.configure(reported, rate, retry, self._clock())
            else:
                self._queues[queue.name] = QueueState.create(reported, rate, retry, self._clock())
            self.changed.notify_all()
            return tasks_v2.Queue(reported)

    def list_queues(
        self, parent: str, filter_: str, page_size: int, page_token: str
    ) -> tuple[list[tasks_v2.Queue], str]:
        """ListQueues, in lexicographical order, as Google lists them.

        Raises:
            RpcError: INVALID_ARGUMENT for a bad parent, page size or token; UNIMPLEMENTED for
                a filter.
        """
        checked(parent, "location")
        if filter_:
            raise RpcError(grpc.StatusCode.UNIMPLEMENTED, "the emulator does not filter queues")
        with self.changed:
            names = sorted(name for name in self._queues if parent_of(name) == parent)
            # Tokens resume after the last name returned (names are their own sort key), so
            # deletions between two pages neither skip nor repeat a queue.
            chunk, token = paginate(names, page_size, page_token, _MAX_QUEUE_PAGE, key=str)
            return [tasks_v2.Queue(self._queues[name].message) for name in chunk], token

    def delete_queue(self, name: str) -> None:
        """DeleteQueue, with its tasks; attempts in flight finish unrecorded.

        Raises:
            RpcError: NOT_FOUND or INVALID_ARGUMENT.
        """
        with self.changed:
            self._queue(name)
            del self._queues[name]

    def set_state(self, name: str, state: int) -> tasks_v2.Queue:
        """PauseQueue and ResumeQueue: set the queue's ``state`` (a ``Queue.State`` value).

        Raises:
            RpcError: NOT_FOUND or INVALID_ARGUMENT.
        """
        with self.changed:
            queue = self._queue(name)
            queue.message.state = tasks_v2.Queue.State(state)
            self.changed.notify_all()
            return tasks_v2.Queue(queue.message)

    def purge_queue(self, name: str) -> tasks_v2.Queue:
        """PurgeQueue: delete every task; their names count as recently deleted.

        Raises:
            RpcError: NOT_FOUND or INVALID_ARGUMENT.
        """
        with self.changed:
            queue = self._queue(name)
            now = self._clock()
            for task in list(queue.tasks.values()):
                self._forget(queue, task, now)
            queue.message.purge_time = timestamp(now)
            return tasks_v2.Queue(queue.message)

    # --- tasks ----------------------------------------------------------------------------

    def create_task(self, parent: str, task: tasks_v2.Task, view: int) -> tasks_v2.Task:
        """CreateTask: add an HTTP task, due at its ``schedule_time`` or now.

        Raises:
            RpcError: NOT_FOUND when the queue does not exist; ALREADY_EXISTS when the name is
                taken or was used within the dedup window; INVALID_ARGUMENT for a bad name,
                URL, body, deadline or retry config; UNIMPLEMENTED for App Engine tasks.
        """
        deadline = delivery.validated_deadline_s(task)
        name = task.name or f"{checked(parent, 'queue')}/tasks/{uuid.uuid4().hex}"
        if parent_of(checked(name, "task")) != parent:
            raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "task name is not under parent")
        with self.changed:
            queue = self._queue(parent)
            retry = None
            if "retry_config" in task:
                retry = queue_config.retry_policy(task.retry_config, base=queue.retry)
            now = self._clock()
            if name in queue.tasks or self._recent_names.refused(name, now):
                raise RpcError(grpc.StatusCode.ALREADY_EXISTS, f"task exists or existed: {name}")
            stored = tasks_v2.Task(
                name=name,
                http_request=task.http_request,
                create_time=timestamp(int(now)),  # Google truncates create_time to seconds
                dispatch_deadline=timedelta(seconds=deadline),
            )
            if "retry_config" in task:
                stored.retry_config = task.retry_config
            due_at = max(now, task.schedule_time.timestamp()) if "schedule_time" in task else now
            state = TaskState(message=stored, due_at=due_at, retry=retry)
            queue.tasks[name] = state
            queue.schedule(state, due_at)
            self.changed.notify_all()
            return _with_view(stored, view)

    def get_task(self, name: str, view: int) -> tasks_v2.Task:
        """GetTask. Raises: RpcError NOT_FOUND or INVALID_ARGUMENT."""
        with self.changed:
            return _with_view(self._task(name)[1].message, view)

    def list_tasks(
        self, parent: str, view: int, page_size: int, page_token: str
    ) -> tuple[list[tasks_v2.Task], str]:
        """ListTasks, ordered by name (Google promises no order).

        Raises:
            RpcError: NOT_FOUND for a missing queue, INVALID_ARGUMENT for bad paging.
        """
        with self.changed:
            queue = self._queue(parent)
            names = sorted(queue.tasks)
            chunk, token = paginate(names, page_size, page_token, _MAX_TASK_PAGE, key=str)
            return [_with_view(queue.tasks[name].message, view) for name in chunk], token

    def delete_task(self, name: str) -> None:
        """DeleteTask; its name then counts as recently deleted.

        Raises:
            RpcError: NOT_FOUND (also for tasks already executed) or INVALID_ARGUMENT.
        """
        with self.changed:
            queue, task = self._task(name)
            self._forget(queue, task, self._clock())

    def _forget(self, queue: QueueState, task: TaskState, now: float) -> None:
        del queue.tasks[task.message.name]
        self._recent_names.release(task.message.name, now)

    # --- dispatch -------------------------------------------------------------------------

    def start_due(self, limit: int) -> tuple[list[Claim], float | None]:
        """Start attempts of due tasks across all queues, within each queue's limits.

        The caller must hold :attr:`changed`, and hand every claim to :meth:`finish` later.

        Args:
            limit: Most attempts to start (free dispatch workers).

        Returns:
            ``(claims, wake_at)``: ``wake_at`` (seconds since the epoch) is when more work may
            become due without notification, or None.
        """
        now = self._clock()
        claims: list[Claim] = []
        wake_times: list[float] = []
        for queue in self._queues.values():
            started, wake_at = queue.start_due(now, limit - len(claims))
            claims.extend(Claim(dispatch, queue, task) for task, dispatch in started)
            if wake_at is not None:
                wake_times.append(wake_at)
        return claims, min(wake_times, default=None)

    def run_task(self, name: str, view: int) -> tuple[Claim, tasks_v2.Task]:
        """RunTask: start an attempt now, even when paused or over the rate limits.

        Returns:
            The claim to hand to the dispatcher, and the task as dispatched.

        Raises:
            RpcError: NOT_FOUND (also for tasks already executed) or INVALID_ARGUMENT.
        """
        with self.changed:
            queue, task = self._task(name)
            dispatch = queue.start(task, self._clock())
            return Claim(dispatch, queue, task), _with_view(task.message, view)

    def finish(self, claim: Claim, outcome: Outcome) -> None:
        """Record an attempt's outcome: remove the task when complete, else schedule its retry.

        Args:
            claim: The attempt, from :meth:`start_due` or :meth:`run_task`.
            outcome: What it came to.
        """
        with self.changed:
            self.changed.notify_all()
            now = self._clock()
            if claim.queue.finish(claim.task, outcome, now):
                self._forget(claim.queue, claim.task, now)
