"""InMemoryJobScheduler: the JobScheduler twin, for unit tests; it never fires by itself."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from shared.adapters.store_support import utc_now
from shared.domain.triggers import ScheduledJob
from shared.errors import ValidationError
from shared.ports.scheduler import JobScheduler
from shared.triggers.schedule import next_fire


class InMemoryJobScheduler(JobScheduler):
    """Jobs in a dict; ``next_run_at`` is computed from ``clock`` as Cloud Scheduler would.

    Args:
        clock: Source of the current time (UTC).
    """

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._jobs: dict[str, ScheduledJob] = {}

    def put_job(self, job: ScheduledJob) -> ScheduledJob:
        """See :meth:`JobScheduler.put_job`.

        Raises:
            ValidationError: Code ``invalid_schedule``.
        """
        try:
            upcoming = None if job.paused else next_fire(job.schedule, job.time_zone, self._clock())
        except (ValueError, KeyError) as error:  # croniter's errors, ZoneInfo's
            raise ValidationError(
                "invalid_schedule", f"the scheduler refused job {job.job_id}: {error}"
            ) from None
        stored = job.model_copy(update={"next_run_at": upcoming}, deep=True)
        with self._lock:
            self._jobs[job.job_id] = stored
        return stored

    def get_job(self, job_id: str) -> ScheduledJob | None:
        """See :meth:`JobScheduler.get_job`."""
        with self._lock:
            return self._jobs.get(job_id)

    def delete_job(self, job_id: str) -> bool:
        """See :meth:`JobScheduler.delete_job`."""
        with self._lock:
            return self._jobs.pop(job_id, None) is not None
