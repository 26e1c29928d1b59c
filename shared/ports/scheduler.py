"""JobScheduler: jobs that publish a message on a cron schedule (Cloud Scheduler in production)."""

from __future__ import annotations

import abc

from shared.domain.triggers import ScheduledJob


class JobScheduler(abc.ABC):
    """Creates, changes, pauses and deletes scheduled jobs by id."""

    @abc.abstractmethod
    def put_job(self, job: ScheduledJob) -> ScheduledJob:
        """Create the job, or make the existing one with its id match ``job`` in every field.

        ``job.paused`` pauses or resumes it; ``job.next_run_at`` is ignored.

        Returns:
            The job as stored, with ``next_run_at``.

        Raises:
            ValidationError: Code ``invalid_schedule``: the scheduler refused the schedule or
                time zone.
            TransientError: Code ``scheduler_unavailable``.
        """

    @abc.abstractmethod
    def get_job(self, job_id: str) -> ScheduledJob | None:
        """The job, or None when there is none.

        Raises:
            TransientError: Code ``scheduler_unavailable``.
        """

    @abc.abstractmethod
    def delete_job(self, job_id: str) -> bool:
        """Delete the job.

        Returns:
            True when it existed.

        Raises:
            TransientError: Code ``scheduler_unavailable``.
        """
