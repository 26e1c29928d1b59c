"""CloudScheduler: scheduled jobs in Cloud Scheduler, publishing to Pub/Sub.

Each job lives at ``projects/<project>/locations/<region>/jobs/<job_id>`` and has a Pub/Sub
target on a topic of the same project. :meth:`CloudScheduler.put_job` reads the job first and
then creates or updates it (``schedule``, ``time_zone``, ``description``, ``pubsub_target``),
then pauses or resumes it to match; Cloud Scheduler keeps a paused job's schedule, and a resumed
job fires from its next scheduled time, never for the times it missed
(https://cloud.google.com/scheduler/docs/reference/rpc/google.cloud.scheduler.v1).

The client is made on first use, so building the dependencies of a function that never
schedules opens no channel.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import cached_property

from google.api_core.exceptions import (
    AlreadyExists,
    FailedPrecondition,
    GoogleAPIError,
    InvalidArgument,
    NotFound,
)
from google.cloud import scheduler_v1
from google.protobuf import field_mask_pb2

from shared.domain.triggers import ScheduledJob
from shared.errors import TransientError, ValidationError
from shared.gcp_clients import scheduler_client
from shared.ports.scheduler import JobScheduler
from shared.settings import Settings

_UPDATED_FIELDS = ("schedule", "time_zone", "description", "pubsub_target")
_State = scheduler_v1.Job.State


@contextlib.contextmanager
def _scheduler_errors(job_id: str) -> Iterator[None]:
    try:
        yield
    except InvalidArgument as error:
        raise ValidationError(
            "invalid_schedule",
            f"Cloud Scheduler refused job {job_id}: {error.message}",
            errors=[{"field": "agent.trigger", "message": str(error.message)}],
        ) from error
    except GoogleAPIError as error:
        raise TransientError(
            "scheduler_unavailable", f"Cloud Scheduler failed on job {job_id}: {error!r}"
        ) from error


class CloudScheduler(JobScheduler):
    """Jobs in ``settings.project_id``, location ``settings.region``.

    Args:
        settings: Supplies the project, the region and the default client.
        client: Cloud Scheduler client; ``shared.gcp_clients.scheduler_client(settings)``
            (on first use) when None.
    """

    def __init__(
        self, settings: Settings, client: scheduler_v1.CloudSchedulerClient | None = None
    ) -> None:
        self._settings = settings
        self._given = client

    @cached_property
    def _client(self) -> scheduler_v1.CloudSchedulerClient:
        return self._given or scheduler_client(self._settings)

    @property
    def _parent(self) -> str:
        return f"projects/{self._settings.project_id}/locations/{self._settings.region}"

    def _name(self, job_id: str) -> str:
        return f"{self._parent}/jobs/{job_id}"

    def put_job(self, job: ScheduledJob) -> ScheduledJob:
        """See :meth:`JobScheduler.put_job`.

        Raises:
            ValidationError: Code ``invalid_schedule``.
            TransientError: Code ``scheduler_unavailable``.
        """
        message = scheduler_v1.Job(
            name=self._name(job.job_id),
            schedule=job.schedule,
            time_zone=job.time_zone,
            description=job.description,
            pubsub_target=scheduler_v1.PubsubTarget(
                topic_name=f"projects/{self._settings.project_id}/topics/{job.topic}",
                data=job.data.encode(),
                attributes=job.attributes,
            ),
        )
        with _scheduler_errors(job.job_id):
            stored = self._create_or_update(message)
            with contextlib.suppress(FailedPrecondition):  # a concurrent put changed the state
                if job.paused and stored.state == _State.ENABLED:
                    stored = self._client.pause_job(name=message.name)
                elif not job.paused and stored.state == _State.PAUSED:
                    stored = self._client.resume_job(name=message.name)
        return _from_job(stored)

    def _create_or_update(self, message: scheduler_v1.Job) -> scheduler_v1.Job:
        try:
            self._client.get_job(name=message.name)
        except NotFound:
            try:
                return self._client.create_job(parent=self._parent, job=message)
            except AlreadyExists:
                pass  # created meanwhile by a concurrent put: update it like any other
        mask = field_mask_pb2.FieldMask(paths=list(_UPDATED_FIELDS))
        return self._client.update_job(job=message, update_mask=mask)

    def get_job(self, job_id: str) -> ScheduledJob | None:
        """See :meth:`JobScheduler.get_job`.

        Raises:
            TransientError: Code ``scheduler_unavailable``.
        """
        with _scheduler_errors(job_id):
            try:
                return _from_job(self._client.get_job(name=self._name(job_id)))
            except NotFound:
                return None

    def delete_job(self, job_id: str) -> bool:
        """See :meth:`JobScheduler.delete_job`.

        Raises:
            TransientError: Code ``scheduler_unavailable``.
        """
        with _scheduler_errors(job_id):
            try:
                self._client.delete_job(name=self._name(job_id))
            except NotFound:
                return False
        return True


def _from_job(job: scheduler_v1.Job) -> ScheduledJob:
    paused = job.state == _State.PAUSED
    next_run = job.schedule_time if "schedule_time" in job and not paused else None
    return ScheduledJob(
        job_id=job.name.rpartition("/jobs/")[2],
        schedule=job.schedule,
        time_zone=job.time_zone or "UTC",
        topic=job.pubsub_target.topic_name.rpartition("/topics/")[2],
        data=job.pubsub_target.data.decode(),
        attributes=dict(job.pubsub_target.attributes),
        description=job.description,
        paused=paused,
        next_run_at=next_run,
    )
