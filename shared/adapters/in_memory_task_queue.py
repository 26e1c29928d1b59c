"""InMemoryTaskQueue: the TaskQueue twin that records tasks instead of dispatching them."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from shared.domain.base import Model
from shared.ports.task_queue import TaskQueue


@dataclass(frozen=True)
class EnqueuedTask:
    """One task as the executor would receive it.

    Attributes:
        queue: Queue id.
        path: Executor route the task POSTs to.
        body: The JSON request body (the payload as the Cloud Tasks adapter encodes it).
        task_id: The caller's task id.
        delay_s: Seconds before the first dispatch.
    """

    queue: str
    path: str
    body: bytes
    task_id: str
    delay_s: float


class InMemoryTaskQueue(TaskQueue):
    """Keeps enqueued tasks until :meth:`drain`; refuses a task id seen before on its queue.

    Cloud Tasks refuses a name for about an hour after its task ran; a unit test is shorter
    than that, so the twin refuses a seen id for its whole life, drained or not. Safe to share
    between threads: of two enqueues of one id at once, one is refused, as Cloud Tasks does.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[EnqueuedTask] = []
        self._seen: set[tuple[str, str]] = set()

    def enqueue(
        self, queue: str, path: str, payload: Model, *, task_id: str, delay_s: float = 0.0
    ) -> bool:
        """See :meth:`TaskQueue.enqueue`."""
        body = payload.model_dump_json().encode()
        with self._lock:
            if (queue, task_id) in self._seen:
                return False
            self._seen.add((queue, task_id))
            self._pending.append(EnqueuedTask(queue, path, body, task_id, delay_s))
        return True

    def drain(self) -> list[EnqueuedTask]:
        """Return the pending tasks in enqueue order and forget them (their ids stay refused)."""
        with self._lock:
            drained, self._pending = self._pending, []
        return drained
