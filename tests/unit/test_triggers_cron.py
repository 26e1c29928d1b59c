"""Cron triggers on the twins with a clock moved by hand: the Scheduler job follows the spec, and
ticks obey the overlap and missed-tick policies, once per scheduled time."""

from __future__ import annotations

import base64
import dataclasses
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app

from shared import resources
from shared.adapters.in_memory_scheduler import InMemoryJobScheduler
from shared.domain.runs import RunStatus, TriggerKind
from shared.domain.triggers import ScheduledJob, ScheduledTick
from shared.errors import TransientError
from shared.transport import scheduled
from shared.triggers.cron_intake import handle_scheduled_tick
from shared.triggers.cron_policy import TickAction
from shared.triggers.schedule import latest_fire, next_fire
from tests.unit.api_harness import ApiHarness, assert_problem, make_harness
from tests.unit.triggers_support import FakeClock, create_agent, runs_of, trigger_harness

ROOT = Path(__file__).resolve().parents[2]
# A Wednesday in winter: Europe/Berlin is UTC+1.
START = datetime(2025, 1, 15, 11, 59, 30, tzinfo=UTC)
EVERY_MINUTE = {"type": "cron", "schedule": "* * * * *", "timezone": "Europe/Berlin"}


@pytest.fixture
def harness() -> tuple[ApiHarness, FakeClock]:
    return trigger_harness(FakeClock(START))


def _agent(api: ApiHarness, trigger: dict[str, Any], name: str = "ticker") -> str:
    return str(create_agent(api, name, trigger)["agent"]["agent_id"])


def _job(api: ApiHarness, agent_id: str) -> ScheduledJob | None:
    return api.deps.scheduler.get_job(resources.scheduler_job_id(agent_id))


def _fire(api: ApiHarness, agent_id: str, published_at: datetime) -> Any:
    """Deliver the agent's job message as Pub/Sub would, published at ``published_at``."""
    job = _job(api, agent_id)
    assert job is not None
    return handle_scheduled_tick(
        api.deps, ScheduledTick.model_validate_json(job.data), published_at
    )


def _finish(api: ApiHarness, run_id: str) -> None:
    api.deps.runs.transition(run_id, RunStatus.FAILED, expected={RunStatus.REQUESTED})


def _minute(hour: int, minute: int) -> datetime:
    return START.replace(hour=hour, minute=minute, second=0)


# --- the job follows the spec ------------------------------------------------------------------


def test_a_cron_spec_creates_a_job_publishing_to_run_scheduled(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, _clock = harness
    created = create_agent(
        api, "berlin", {"type": "cron", "schedule": "0 9 * * *", "timezone": "Europe/Berlin"}
    )
    agent_id = created["agent"]["agent_id"]

    job = _job(api, agent_id)

    assert job is not None and not job.paused
    assert (job.schedule, job.time_zone, job.topic) == (
        "0 9 * * *",
        "Europe/Berlin",
        "run-scheduled",
    )
    assert job.attributes == {
        "event_type": "switchyard.run.scheduled.v1",
        "org_id": api.org_id,
        "agent_id": agent_id,
        "agent_version": "1",
    }
    assert ScheduledTick.model_validate_json(job.data).agent_id == agent_id
    # 09:00 in Berlin in January is 08:00 UTC; it is past noon, so tomorrow.
    assert created["trigger"]["next_run_at"] == "2025-01-16T08:00:00Z"


def test_changing_pausing_and_removing_the_trigger_changes_pauses_and_deletes_the_job(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, _clock = harness
    agent_id = _agent(api, {"type": "cron", "schedule": "0 9 * * *"}, name="mover")

    def put(trigger: dict[str, Any]) -> dict[str, Any]:
        document = {"agent": {"name": "mover", "system_prompt": "x", "trigger": trigger}}
        response = api.client.put(f"/v1/agents/{agent_id}", json=document, headers=api.auth())
        assert response.status_code == 200, response.get_json()
        return dict(response.get_json()["trigger"])

    moved = put({"type": "cron", "schedule": "30 6 * * 1-5", "timezone": "Asia/Tokyo"})
    job = _job(api, agent_id)
    assert job is not None and (job.schedule, job.time_zone) == ("30 6 * * 1-5", "Asia/Tokyo")
    assert job.attributes["agent_version"] == "2"
    assert moved["next_run_at"] == "2025-01-15T21:30:00Z"  # Thursday 06:30 in Tokyo

    paused = put({"type": "cron", "schedule": "30 6 * * 1-5", "paused": True})
    job = _job(api, agent_id)
    assert job is not None and job.paused and paused["paused"] is True
    assert "next_run_at" not in paused

    assert put({"type": "manual"}) == {"type": "manual"}
    assert _job(api, agent_id) is None


def test_deactivation_deletes_the_job_and_activation_brings_it_back(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, _clock = harness
    agent_id = _agent(api, EVERY_MINUTE)

    off = api.client.post(f"/v1/agents/{agent_id}/deactivate", headers=api.auth()).get_json()
    assert _job(api, agent_id) is None and "next_run_at" not in off["trigger"]

    on = api.client.post(f"/v1/agents/{agent_id}/activate", headers=api.auth()).get_json()
    assert _job(api, agent_id) is not None and on["trigger"]["next_run_at"]


@pytest.mark.parametrize(
    ("trigger", "field"),
    [
        ({"schedule": "0 0 L * *"}, "agent.trigger.schedule"),  # croniter's, not Google's
        ({"schedule": "0 0 31 2 *"}, "agent.trigger.schedule"),  # never fires
        ({"schedule": "* * * *"}, "agent.trigger.schedule"),
        ({"schedule": "61 * * * *"}, "agent.trigger.schedule"),
        ({"schedule": "0 9 * * *", "timezone": "Mars/Olympus"}, "agent.trigger.timezone"),
        ({"schedule": "0 9 * * *", "overlap": "sometimes"}, "agent.trigger.overlap"),
        ({"schedule": "0 9 * * *", "missed": "all"}, "agent.trigger.missed"),
    ],
)
def test_a_bad_schedule_time_zone_or_policy_is_refused_when_saved(
    harness: tuple[ApiHarness, FakeClock], trigger: dict[str, str], field: str
) -> None:
    api, _clock = harness
    document = {
        "agent": {"name": "bad", "system_prompt": "x", "trigger": {"type": "cron", **trigger}}
    }

    response = api.client.post("/v1/agents", json=document, headers=api.auth())

    body = assert_problem(response, 422, "invalid_spec")
    assert [e["field"] for e in body["errors"]] == [field]


# --- which tick -----------------------------------------------------------------------------


def test_the_tick_is_the_latest_fire_time_at_or_before_the_publish_time() -> None:
    schedule, zone = "*/15 * * * *", "Asia/Kolkata"  # UTC+5:30
    published = datetime(2025, 1, 15, 12, 15, 0, 400_000, tzinfo=UTC)

    assert latest_fire(schedule, zone, published) == datetime(2025, 1, 15, 12, 15, tzinfo=UTC)
    assert latest_fire(schedule, zone, published - timedelta(seconds=1)) == datetime(
        2025, 1, 15, 12, 0, tzinfo=UTC
    )


def test_wall_clock_time_zones_follow_daylight_saving() -> None:
    spring = datetime(2025, 3, 29, 12, 0, tzinfo=UTC)  # Berlin moves 02:00 → 03:00 on the 30th

    assert next_fire("30 2 * * *", "Europe/Berlin", spring) == datetime(
        2025, 3, 30, 1, 0, tzinfo=UTC
    )
    assert next_fire("0 9 * * *", "Europe/Berlin", spring) == datetime(
        2025, 3, 30, 7, 0, tzinfo=UTC
    )


# --- one run per tick -----------------------------------------------------------------------


def test_a_tick_starts_one_run_and_its_redeliveries_none(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, clock = harness
    agent_id = _agent(api, EVERY_MINUTE)
    clock.now = _minute(12, 0) + timedelta(seconds=1)

    first = _fire(api, agent_id, _minute(12, 0) + timedelta(milliseconds=300))
    again = _fire(api, agent_id, _minute(12, 0) + timedelta(milliseconds=300))

    assert (first.action, again.action) == (TickAction.RUN, TickAction.REPEAT)
    runs = runs_of(api, agent_id)
    assert len(runs) == 1
    assert runs[0].trigger == TriggerKind.CRON
    assert runs[0].input == {
        "scheduled_at": "2025-01-15T13:00:00+01:00",
        "timezone": "Europe/Berlin",
    }


def test_a_crash_between_saving_the_tick_and_creating_the_run_is_healed_by_redelivery(
    harness: tuple[ApiHarness, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, clock = harness
    agent_id = _agent(api, EVERY_MINUTE)
    clock.now = _minute(12, 0) + timedelta(seconds=1)
    create_run = api.deps.runs.create_run

    def fail_once(run: Any) -> Any:
        monkeypatch.setattr(api.deps.runs, "create_run", create_run)
        raise TransientError("firestore_unavailable", "injected")

    monkeypatch.setattr(api.deps.runs, "create_run", fail_once)
    with pytest.raises(TransientError):
        _fire(api, agent_id, _minute(12, 0))
    healed = _fire(api, agent_id, _minute(12, 0))

    state = api.deps.triggers.get_cron_state(agent_id)
    assert healed.action == TickAction.REPEAT and state is not None
    assert [run.run_id for run in runs_of(api, agent_id)] == [state.last_run_id]


def test_an_older_tick_delivered_late_is_superseded(harness: tuple[ApiHarness, FakeClock]) -> None:
    api, clock = harness
    agent_id = _agent(api, {**EVERY_MINUTE, "overlap": "allow"})
    clock.now = _minute(12, 1) + timedelta(seconds=2)
    _fire(api, agent_id, _minute(12, 1))

    late = _fire(api, agent_id, _minute(12, 0) + timedelta(seconds=50))

    assert late.action == TickAction.DROP and len(runs_of(api, agent_id)) == 1


# --- overlap ----------------------------------------------------------------------------------


def test_overlap_skip_drops_a_tick_while_the_previous_run_is_going(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, clock = harness
    agent_id = _agent(api, EVERY_MINUTE)  # overlap: skip by default
    clock.now = _minute(12, 0)
    _fire(api, agent_id, _minute(12, 0))

    clock.now = _minute(12, 1)
    skipped = _fire(api, agent_id, _minute(12, 1))
    _finish(api, runs_of(api, agent_id)[0].run_id)
    clock.now = _minute(12, 2)
    ran = _fire(api, agent_id, _minute(12, 2))

    assert (skipped.action, skipped.reason) == (TickAction.DROP, "overlap")
    assert ran.action == TickAction.RUN
    assert len(runs_of(api, agent_id)) == 2


def test_overlap_allow_runs_alongside(harness: tuple[ApiHarness, FakeClock]) -> None:
    api, clock = harness
    agent_id = _agent(api, {**EVERY_MINUTE, "overlap": "allow"})

    for minute in (0, 1, 2):
        clock.now = _minute(12, minute)
        _fire(api, agent_id, _minute(12, minute))

    assert len(runs_of(api, agent_id)) == 3
    assert all(run.status == RunStatus.REQUESTED for run in runs_of(api, agent_id))


def test_overlap_queue_holds_one_tick_until_the_previous_run_ends(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, clock = harness
    agent_id = _agent(api, {**EVERY_MINUTE, "overlap": "queue"})
    clock.now = _minute(12, 0)
    _fire(api, agent_id, _minute(12, 0))
    first = runs_of(api, agent_id)[0]

    clock.now = _minute(12, 1)
    with pytest.raises(TransientError) as waiting:  # Pub/Sub redelivers it later
        _fire(api, agent_id, _minute(12, 1))
    clock.now = _minute(12, 3)  # long past its minute: queued, so not "missed"
    with pytest.raises(TransientError):
        _fire(api, agent_id, _minute(12, 1))
    _finish(api, first.run_id)
    clock.now = _minute(12, 3) + timedelta(seconds=20)
    queued = _fire(api, agent_id, _minute(12, 1))

    assert waiting.value.code == "previous_run_running"
    assert (queued.action, queued.reason) == (TickAction.RUN, "queued")
    runs = runs_of(api, agent_id)
    assert len(runs) == 2
    assert runs[0].input["scheduled_at"] == "2025-01-15T13:01:00+01:00"


def test_overlap_queue_keeps_only_the_newest_waiting_tick(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, clock = harness
    agent_id = _agent(api, {**EVERY_MINUTE, "overlap": "queue"})
    clock.now = _minute(12, 0)
    _fire(api, agent_id, _minute(12, 0))
    for minute in (1, 2):
        clock.now = _minute(12, minute)
        with pytest.raises(TransientError):
            _fire(api, agent_id, _minute(12, minute))
    _finish(api, runs_of(api, agent_id)[0].run_id)
    clock.now = _minute(12, 2) + timedelta(seconds=30)

    replaced = _fire(api, agent_id, _minute(12, 1))  # the older waiting tick comes back
    newest = _fire(api, agent_id, _minute(12, 2))

    assert replaced.action == TickAction.DROP
    assert newest.action == TickAction.RUN
    assert len(runs_of(api, agent_id)) == 2


# --- missed ticks ---------------------------------------------------------------------------


def _backlog(api: ApiHarness, agent_id: str, minutes: range) -> list[Any]:
    ticks = [_minute(12, m) + timedelta(milliseconds=200) for m in minutes]
    random.Random(7).shuffle(ticks)  # Pub/Sub does not keep order
    decisions = []
    for published in ticks:
        try:
            decisions.append(_fire(api, agent_id, published))
        except TransientError as error:
            decisions.append(error.code)
    return decisions


def test_missed_skip_drops_every_tick_that_comes_after_the_next_was_due(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, clock = harness
    agent_id = _agent(api, {**EVERY_MINUTE, "overlap": "allow"})  # missed: skip by default
    clock.now = _minute(12, 10) + timedelta(seconds=5)  # an outage held ticks 12:00-12:09

    decisions = _backlog(api, agent_id, range(10))
    current = _fire(api, agent_id, _minute(12, 10))

    assert {(d.action, d.reason) for d in decisions} == {(TickAction.DROP, "missed")}
    assert current.action == TickAction.RUN
    assert len(runs_of(api, agent_id)) == 1


def test_missed_run_once_makes_one_run_for_a_whole_backlog(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, clock = harness
    agent_id = _agent(api, {**EVERY_MINUTE, "missed": "run_once", "overlap": "allow"})
    clock.now = _minute(12, 10) + timedelta(seconds=5)

    decisions = _backlog(api, agent_id, range(10))
    current = _fire(api, agent_id, _minute(12, 10))  # the tick due now is the same catch-up

    actions = [d.action for d in decisions]
    assert actions.count(TickAction.RUN) == 1
    assert current.action == TickAction.REPEAT
    runs = runs_of(api, agent_id)
    assert len(runs) == 1
    assert runs[0].input["scheduled_at"] == "2025-01-15T13:10:00+01:00"
    clock.now = _minute(12, 11) + timedelta(seconds=1)
    assert _fire(api, agent_id, _minute(12, 11)).action == TickAction.RUN


def test_a_tick_late_by_less_than_a_period_is_not_missed(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, clock = harness
    agent_id = _agent(api, {"type": "cron", "schedule": "0 * * * *"})  # hourly
    clock.now = _minute(12, 0) + timedelta(minutes=4)  # a Pub/Sub retry held it four minutes

    assert _fire(api, agent_id, _minute(12, 0)).action == TickAction.RUN
    clock.now = _minute(13, 0) + timedelta(minutes=11)  # later than MAX_LATENESS
    assert _fire(api, agent_id, _minute(13, 0)).reason == "missed"


# --- stale jobs -------------------------------------------------------------------------------


def test_a_tick_for_an_agent_that_is_no_longer_cron_or_active_starts_nothing(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, clock = harness
    agent_id = _agent(api, EVERY_MINUTE, name="former")
    job = _job(api, agent_id)
    assert job is not None
    tick = ScheduledTick.model_validate_json(job.data)
    api.client.put(
        f"/v1/agents/{agent_id}",
        json={"agent": {"name": "former", "system_prompt": "x"}},
        headers=api.auth(),
    )
    api.deps.scheduler.put_job(job)  # as if a concurrent save had left it behind
    clock.now = _minute(12, 0)

    assert handle_scheduled_tick(api.deps, tick, _minute(12, 0)).action == TickAction.DROP
    assert runs_of(api, agent_id) == []
    assert _job(api, agent_id) is None  # the leftover job is gone


class DownScheduler(InMemoryJobScheduler):
    """Cloud Scheduler during an outage."""

    def put_job(self, job: ScheduledJob) -> ScheduledJob:
        raise TransientError("scheduler_unavailable", "down")

    def delete_job(self, job_id: str) -> bool:
        raise TransientError("scheduler_unavailable", "down")


def test_agents_without_a_cron_trigger_are_saved_while_the_scheduler_is_down() -> None:
    api, _clock = trigger_harness()
    down = make_harness(dataclasses.replace(api.deps, scheduler=DownScheduler()))
    agent_id = down.create_agent("manual")

    updated = down.client.put(
        f"/v1/agents/{agent_id}",
        json={"agent": {"name": "manual", "system_prompt": "x", "trigger": {"type": "webhook"}}},
        headers=down.auth(),
    )
    cron = down.client.post(
        "/v1/agents",
        json={"agent": {"name": "cron", "system_prompt": "x", "trigger": EVERY_MINUTE}},
        headers=down.auth(),
    )

    assert updated.status_code == 200
    assert_problem(cron, 503, "scheduler_unavailable")


# --- the transport and the deployed function ------------------------------------------------


def _envelope(job: ScheduledJob, published_at: datetime | None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "data": base64.b64encode(job.data.encode()).decode(),
        "attributes": job.attributes,
        "messageId": "42",
    }
    if published_at is not None:
        message["publishTime"] = published_at.isoformat().replace("+00:00", "Z")
    return {"message": message, "subscription": "projects/p/subscriptions/run-scheduled--cron"}


def test_a_push_without_publish_time_is_dead_lettered(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, _clock = harness
    agent_id = _agent(api, EVERY_MINUTE)
    job = _job(api, agent_id)
    assert job is not None
    subscription = resources.SUBSCRIPTIONS_BY_CONSUMER["cron"]

    outcome = scheduled.process(api.deps, _envelope(job, None), subscription, handle_scheduled_tick)

    assert outcome == "ack"
    assert [m.topic for m in api.published][-1] == "run-scheduled--cron-dlq"
    assert runs_of(api, agent_id) == []


def test_the_cron_function_in_its_deployed_shape(
    harness: tuple[ApiHarness, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, clock = harness
    agent_id = _agent(api, {**EVERY_MINUTE, "overlap": "queue"})
    job = _job(api, agent_id)
    assert job is not None
    monkeypatch.setattr(scheduled, "get_dependencies", lambda: api.deps)
    app = create_app("cron", str(ROOT / "functions" / "cron" / "main.py"), "cloudevent")
    client = app.test_client()
    clock.now = _minute(12, 0) + timedelta(seconds=1)

    # functions-framework turns a raw Pub/Sub push into the CloudEvent the function gets.
    first = client.post("/", json=_envelope(job, _minute(12, 0) + timedelta(milliseconds=10)))
    twice = client.post("/", json=_envelope(job, _minute(12, 0) + timedelta(milliseconds=10)))
    clock.now = _minute(12, 1) + timedelta(seconds=1)
    queued = client.post("/", json=_envelope(job, _minute(12, 1)))

    assert (first.status_code, twice.status_code) == (200, 200)
    assert queued.status_code == 500  # raised: Pub/Sub redelivers the waiting tick
    assert len(runs_of(api, agent_id)) == 1
