"""TaskQueue: durable, rate-limited, retried work items (Cloud Tasks in production)."""

from __future__ import annotations

import abc

from shared.domain.base import Model


class TaskQueue(abc.ABC):
    """Enqueues HTTP tasks for the executor; queue config is the rate limit and retry policy."""

    @abc.abstractmethod
    def enqueue(
        self, queue: str, path: str, payload: Model, *, task_id: str, delay_s: float = 0.0
    ) -> bool:
        """Enqueue a POST of ``payload`` (JSON) to the executor at ``path``.

        Args:
            queue: Queue id from :mod:`shared.resources`, such as ``"tool-http-fetch"``.
            path: Executor route, such as ``"/tasks/tool-call"``.
            payload: Task body.
            task_id: Deterministic id derived from the work (``run_id``, step, call), so that a
                duplicate enqueue is refused by the queue rather than run twice.
            delay_s: Seconds before the first dispatch.

        Returns:
            True when enqueued, False when a task with this id exists or ran recently.

        Raises:
            TransientError: The queue service is unavailable.
        """
