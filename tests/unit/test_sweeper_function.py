"""The ``sweeper`` function in its deployed shape: a tick sweeps, a garbled tick is
dead-lettered, a store failure asks for redelivery, and overlapping ticks do no harm."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from functions_framework import create_app

from shared import resources
from shared.adapters.in_memory_task_queue import InMemoryTaskQueue
from shared.domain.messages import SweepTick
from shared.domain.runs import Run, RunStatus
from shared.errors import TransientError
from shared.transport import sweeps
from tests.unit.api_harness import ApiHarness
from tests.unit.triggers_support import FakeClock, create_agent, trigger_harness

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2025, 1, 15, 12, 0, 5, tzinfo=UTC)
DLQ = resources.SUBSCRIPTIONS_BY_CONSUMER["sweeper"].dead_letter_topic


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch) -> tuple[ApiHarness, FakeClock, FlaskClient]:
    api, clock = trigger_harness(FakeClock(START))
    monkeypatch.setattr(sweeps, "get_dependencies", lambda: api.deps)
    app = create_app("sweeper", str(ROOT / "functions" / "sweeper" / "main.py"), "cloudevent")
    return api, clock, app.test_client()


def _push(data: bytes) -> dict[str, Any]:
    message = {"data": base64.b64encode(data).decode(), "attributes": {}, "messageId": "7"}
    return {"message": message, "subscription": "projects/p/subscriptions/sweep-requested"}


TICK = _push(SweepTick().model_dump_json().encode())


def _stalled(api: ApiHarness, clock: FakeClock, status: RunStatus, age_s: float) -> Run:
    agent = create_agent(api, f"swept-{uuid.uuid4().hex[:8]}", {"type": "manual"})["agent"]
    then = clock() - timedelta(seconds=age_s)
    return api.deps.runs.create_run(
        Run(
            run_id=uuid.uuid4().hex, org_id=api.org_id, agent_id=agent["agent_id"],
            agent_version=agent["latest_version"], status=status, input={},
            created_at=then, started_at=then if status is RunStatus.RUNNING else None,
            updated_at=then,
        )
    )  # fmt: skip


def test_a_tick_republishes_a_run_whose_message_was_lost(
    harness: tuple[ApiHarness, FakeClock, FlaskClient],
) -> None:
    api, clock, client = harness
    lost = _stalled(api, clock, RunStatus.REQUESTED, age_s=301)
    fresh = _stalled(api, clock, RunStatus.REQUESTED, age_s=60)

    response = client.post("/", json=TICK)

    assert response.status_code == 200
    republished = [json.loads(m.data)["run_id"] for m in api.published]
    assert republished == [lost.run_id], f"{fresh.run_id} moved less than 300 s ago"
    assert [m.topic for m in api.published] == [resources.RUN_REQUESTED]


def test_a_garbled_tick_is_dead_lettered_and_sweeps_nothing(
    harness: tuple[ApiHarness, FakeClock, FlaskClient],
) -> None:
    api, clock, client = harness
    lost = _stalled(api, clock, RunStatus.REQUESTED, age_s=301)
    garbled = f'{{"run_id": "{lost.run_id}"}}'.encode()

    response = client.post("/", json=_push(garbled))

    assert response.status_code == 200, "a poison tick is acknowledged, never retried"
    (letter,) = [m for m in api.published if m.topic == DLQ]
    assert letter.attributes["error_code"] == "malformed_message"
    assert [m.topic for m in api.published] == [DLQ], "nothing swept, no run failed"
    assert api.deps.runs.get_run(lost.run_id).status is RunStatus.REQUESTED


def test_a_failing_run_store_asks_for_redelivery(
    harness: tuple[ApiHarness, FakeClock, FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, _clock, client = harness

    def unavailable(*_args: object) -> list[Run]:
        raise TransientError("store_unavailable", "Firestore is down")

    monkeypatch.setattr(api.deps.runs, "list_stalled", unavailable)

    assert client.post("/", json=TICK).status_code == 500  # raised: Pub/Sub redelivers


def test_overlapping_ticks_resume_a_stalled_run_once_a_minute(
    harness: tuple[ApiHarness, FakeClock, FlaskClient],
) -> None:
    api, clock, client = harness
    stuck = _stalled(api, clock, RunStatus.RUNNING, age_s=301)
    tasks = api.deps.tasks
    assert isinstance(tasks, InMemoryTaskQueue)

    # Two instances at once, or a redelivery, within one minute: the tagged task id is the same,
    # so the queue refuses the second copy.
    first, again = client.post("/", json=TICK), client.post("/", json=TICK)
    same_minute = [task.task_id for task in tasks.drain()]
    clock.advance(minutes=1)  # still stalled a minute later: enqueued again under a new id
    client.post("/", json=TICK)
    next_minute = [task.task_id for task in tasks.drain()]

    assert (first.status_code, again.status_code) == (200, 200)
    assert len(same_minute) == 1 and same_minute[0].endswith(f"-resume-{28_949_040}")
    assert len(next_minute) == 1 and next_minute[0].endswith(f"-resume-{28_949_041}")
    assert all(stuck.run_id in task_id for task_id in same_minute + next_minute)


def test_overlapping_ticks_fail_a_late_run_once(
    harness: tuple[ApiHarness, FakeClock, FlaskClient],
) -> None:
    api, clock, client = harness
    late = _stalled(api, clock, RunStatus.REQUESTED, age_s=2 * 3600)

    client.post("/", json=TICK)
    client.post("/", json=TICK)

    failed = api.deps.runs.get_run(late.run_id)
    assert failed.status is RunStatus.FAILED
    assert failed.error is not None and failed.error.code == "timeout"
    stops = [e for e in api.deps.runs.list_events(late.run_id) if e.type == "run.failed"]
    assert len(stops) == 1, "the second sweep found the run failed already"
