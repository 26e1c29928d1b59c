"""Task names recently deleted or executed, which CreateTask must refuse for a while.

Google: "If a task's ID is identical to that of an existing task or a task that was deleted or
executed recently then the call will fail with ALREADY_EXISTS. If the task's queue was created
using Cloud Tasks, then another task with the same name can't be created for ~1 hour after the
original task was deleted or executed." (``CreateTaskRequest.task``)
"""

from __future__ import annotations


class RecentNames:
    """Names refused until their window ends. Not thread-safe: the store's lock guards it.

    Args:
        window_s: Seconds a name stays refused after it was released.
    """

    def __init__(self, window_s: float) -> None:
        self._window_s = window_s
        # Name -> end of its window. With one window length, insertion order is expiry order,
        # so expired names are always at the front.
        self._until: dict[str, float] = {}

    def release(self, name: str, now: float) -> None:
        """Record that the task ``name`` was deleted or executed at ``now`` (seconds)."""
        self._until.pop(name, None)  # re-inserting moves the name to the back
        self._until[name] = now + self._window_s

    def refused(self, name: str, now: float) -> bool:
        """Whether ``name`` is still within its window at ``now`` (seconds)."""
        while self._until:
            oldest, until = next(iter(self._until.items()))
            if until > now:
                break
            del self._until[oldest]
        return name in self._until
