"""The Cloud Scheduler emulator's job rules and firing decisions, on a clock the test moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.cloud.scheduler_v1 import Job
from google.protobuf import field_mask_pb2
from google.rpc import status_pb2

from emulators.grpc_service import RpcError
from emulators.scheduler.jobs import JobStore

PARENT = "projects/demo/locations/europe-west1"
NAME = f"{PARENT}/jobs/nightly"
START = datetime(2024, 6, 1, 11, 59, 30, tzinfo=UTC)
NOON = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


class ManualClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(clock: ManualClock) -> JobStore:
    return JobStore(clock)


def job(schedule: str = "* * * * *", time_zone: str = "Europe/Berlin") -> Job:
    return Job(
        name=NAME,
        schedule=schedule,
        time_zone=time_zone,
        pubsub_target={"topic_name": "projects/demo/topics/run-requested", "data": b"{}"},
    )


def ok() -> status_pb2.Status:
    return status_pb2.Status(code=0)


def test_new_job_is_enabled_and_scheduled_for_its_next_minute(store: JobStore) -> None:
    created = store.create_job(PARENT, job("0 14 * * *"))  # 14:00 CEST is 12:00 UTC

    assert created.state == Job.State.ENABLED
    assert created.schedule_time == NOON
    assert created.user_update_time == START
    assert store.next_due() == NOON


def test_job_fires_once_at_its_time_and_moves_to_the_next(
    store: JobStore, clock: ManualClock
) -> None:
    store.create_job(PARENT, job())

    assert store.claim_due(NOON - timedelta(milliseconds=1)) == []
    clock.now = NOON + timedelta(milliseconds=3)
    [attempt] = store.claim_due(clock.now)

    assert attempt.schedule_time == NOON
    assert attempt.job.name == NAME
    assert store.claim_due(clock.now) == []
    store.finish(attempt, ok())
    fetched = store.get_job(NAME)
    assert fetched.last_attempt_time == clock.now
    assert fetched.schedule_time == NOON + timedelta(minutes=1)
    assert fetched.status.code == 0


def test_next_run_waits_for_the_running_one_and_missed_runs_are_not_made_up(
    store: JobStore, clock: ManualClock
) -> None:
    store.create_job(PARENT, job())
    [first] = store.claim_due(NOON)

    late = NOON + timedelta(minutes=2, seconds=30)
    assert store.claim_due(late) == []  # 12:01 and 12:02 are due, but the 12:00 run is busy
    assert store.next_due() is None
    store.finish(first, status_pb2.Status(code=grpc.StatusCode.UNAVAILABLE.value[0]))
    [delayed] = store.claim_due(late)

    assert delayed.schedule_time == NOON + timedelta(minutes=1)
    assert store.get_job(NAME).schedule_time == NOON + timedelta(minutes=3)
    assert store.get_job(NAME).status.code == grpc.StatusCode.UNAVAILABLE.value[0]


def test_paused_job_does_not_fire_until_resumed(store: JobStore, clock: ManualClock) -> None:
    store.create_job(PARENT, job())

    paused = store.pause_job(NAME)

    assert paused.state == Job.State.PAUSED
    assert "schedule_time" not in paused
    assert store.claim_due(NOON + timedelta(hours=1)) == []
    with pytest.raises(RpcError) as error:
        store.pause_job(NAME)
    assert error.value.code == grpc.StatusCode.FAILED_PRECONDITION
    clock.now = NOON + timedelta(hours=1, seconds=10)
    assert store.resume_job(NAME).schedule_time == NOON + timedelta(hours=1, minutes=1)
    with pytest.raises(RpcError) as error:
        store.resume_job(NAME)
    assert error.value.code == grpc.StatusCode.FAILED_PRECONDITION


def test_run_job_fires_now_even_when_paused_without_holding_the_schedule(
    store: JobStore, clock: ManualClock
) -> None:
    store.create_job(PARENT, job())
    store.pause_job(NAME)

    store.run_job(NAME)
    [forced] = store.claim_due(clock.now)

    assert forced.forced
    assert forced.schedule_time == START
    store.resume_job(NAME)
    assert [a.schedule_time for a in store.claim_due(NOON)] == [NOON]  # forced run in flight


def test_update_changes_masked_fields_and_reschedules(store: JobStore) -> None:
    store.create_job(PARENT, job())
    change = Job(name=NAME, schedule="30 14 * * *", description="ignored: not in the mask")

    updated = store.update_job(change, field_mask_pb2.FieldMask(paths=["schedule", "state"]))

    assert updated.schedule == "30 14 * * *"
    assert updated.description == ""
    assert updated.state == Job.State.ENABLED  # output-only path ignored
    assert updated.schedule_time == NOON + timedelta(minutes=30)
    assert updated.pubsub_target.topic_name == "projects/demo/topics/run-requested"


def test_update_without_mask_replaces_the_fields_given(store: JobStore) -> None:
    store.create_job(PARENT, job())

    updated = store.update_job(
        Job(name=NAME, http_target={"uri": "http://127.0.0.1:9/hook"}), field_mask_pb2.FieldMask()
    )

    assert "http_target" in updated
    assert "pubsub_target" not in updated  # the target is a oneof
    assert updated.schedule == "* * * * *"


@pytest.mark.parametrize(
    ("change", "paths"),
    [
        (Job(name=NAME, schedule="not cron"), ["schedule"]),
        (Job(name=NAME, time_zone="Europe/Atlantis"), ["time_zone"]),
        (Job(name=NAME), ["no_such_field"]),
        (Job(name=NAME), ["pubsub_target"]),  # clears the only target
    ],
)
def test_invalid_update_is_refused_and_changes_nothing(
    store: JobStore, change: Job, paths: list[str]
) -> None:
    before = store.create_job(PARENT, job())

    with pytest.raises(RpcError) as error:
        store.update_job(change, field_mask_pb2.FieldMask(paths=paths))

    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert store.get_job(NAME) == before


@pytest.mark.parametrize(
    "invalid",
    [
        job(schedule="*/5 * * *"),
        job(time_zone="Nowhere/Special"),
        Job(name=NAME, schedule="* * * * *"),  # no target
        Job(name=NAME, schedule="* * * * *", pubsub_target={"topic_name": "run-requested"}),
        Job(
            name=NAME, schedule="* * * * *", pubsub_target={"topic_name": "projects/demo/topics/t"}
        ),
        Job(name=NAME, schedule="* * * * *", http_target={"uri": "ftp://example.com"}),
        Job(
            name=NAME,
            schedule="* * * * *",
            http_target={"uri": "http://example.com", "http_method": "GET", "body": b"x"},
        ),
        Job(name=f"{PARENT}/jobs/has space", schedule="* * * * *"),
        Job(name="projects/demo/locations/us-east1/jobs/elsewhere", schedule="* * * * *"),
    ],
)
def test_invalid_jobs_are_refused(store: JobStore, invalid: Job) -> None:
    with pytest.raises(RpcError) as error:
        store.create_job(PARENT, invalid)

    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert store.list_jobs(PARENT) == []


def test_deleted_job_stops_firing_and_a_late_finish_is_ignored(store: JobStore) -> None:
    store.create_job(PARENT, job())
    [attempt] = store.claim_due(NOON)

    store.delete_job(NAME)
    store.finish(attempt, ok())

    assert store.next_due() is None
    with pytest.raises(RpcError) as error:
        store.get_job(NAME)
    assert error.value.code == grpc.StatusCode.NOT_FOUND
