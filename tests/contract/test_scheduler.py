"""JobScheduler contract: one suite, run against the in-memory twin and the Cloud Scheduler
emulator (through google-cloud-scheduler, as in production). Each test uses its own job ids and
deletes them; the jobs publish to a topic nothing consumes, should one fire meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.adapters.cloud_scheduler import CloudScheduler
from shared.adapters.in_memory_scheduler import InMemoryJobScheduler
from shared.domain.triggers import ScheduledJob
from shared.errors import ValidationError
from shared.ports.scheduler import JobScheduler


@pytest.fixture(params=["memory", "gcp"])
def scheduler(request: pytest.FixtureRequest, namespace: str) -> Iterator[JobScheduler]:
    if request.param == "memory":
        yield InMemoryJobScheduler()
        return
    scheduler = CloudScheduler(request.getfixturevalue("stack"))
    yield scheduler
    for job_id in (f"agent-{namespace}", f"agent-{namespace}-p"):
        scheduler.delete_job(job_id)


def _job(namespace: str, **changes: object) -> ScheduledJob:
    job = ScheduledJob(
        job_id=f"agent-{namespace}",
        schedule="0 9 * * 1-5",
        time_zone="Europe/Berlin",
        topic="contract-test-unconsumed",
        data='{"agent_id": "a"}',
        attributes={"agent_id": "a", "agent_version": "1"},
        description="contract test",
    )
    return job.model_copy(update=changes)


def test_put_creates_a_job_that_get_returns(scheduler: JobScheduler, namespace: str) -> None:
    stored = scheduler.put_job(_job(namespace))

    fetched = scheduler.get_job(f"agent-{namespace}")

    assert fetched is not None
    for job in (stored, fetched):
        assert job.model_copy(update={"next_run_at": None}) == _job(namespace)
        assert job.next_run_at is not None
        assert job.next_run_at > datetime.now(UTC) - timedelta(seconds=5)
        local = job.next_run_at.astimezone(ZoneInfo("Europe/Berlin"))
        assert (local.hour, local.minute, local.weekday() < 5) == (9, 0, True)


def test_put_again_updates_every_field(scheduler: JobScheduler, namespace: str) -> None:
    scheduler.put_job(_job(namespace))
    changed = _job(
        namespace,
        schedule="*/5 * * * *",
        time_zone="UTC",
        data='{"agent_id": "a", "v": 2}',
        attributes={"agent_id": "a", "agent_version": "2"},
        description="changed",
    )

    scheduler.put_job(changed)

    fetched = scheduler.get_job(f"agent-{namespace}")
    assert fetched is not None
    assert fetched.model_copy(update={"next_run_at": None}) == changed


def test_put_pauses_and_resumes(scheduler: JobScheduler, namespace: str) -> None:
    scheduler.put_job(_job(namespace))

    paused = scheduler.put_job(_job(namespace, paused=True))
    paused_again = scheduler.put_job(_job(namespace, paused=True))
    resumed = scheduler.put_job(_job(namespace))

    assert paused.paused and paused_again.paused and paused.next_run_at is None
    assert not resumed.paused and resumed.next_run_at is not None
    created_paused = scheduler.put_job(_job(f"{namespace}-p", paused=True))
    assert created_paused.paused


def test_delete_removes_the_job_once(scheduler: JobScheduler, namespace: str) -> None:
    scheduler.put_job(_job(namespace))

    assert scheduler.delete_job(f"agent-{namespace}") is True
    assert scheduler.delete_job(f"agent-{namespace}") is False
    assert scheduler.get_job(f"agent-{namespace}") is None


@pytest.mark.parametrize("changes", [{"schedule": "not cron"}, {"time_zone": "Mars/Olympus"}])
def test_a_schedule_the_scheduler_refuses_is_a_validation_error(
    scheduler: JobScheduler, namespace: str, changes: dict[str, str]
) -> None:
    with pytest.raises(ValidationError) as refused:
        scheduler.put_job(_job(namespace, **changes))
    assert refused.value.code == "invalid_schedule"
