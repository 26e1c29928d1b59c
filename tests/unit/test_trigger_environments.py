"""Triggers start runs in the environment their spec names (``prod`` by default)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from shared import resources
from shared.adapters.scripted_model_client import ScriptedModelClient
from shared.composition import utc_now
from shared.domain.model_io import ModelResponse
from shared.domain.runs import RunStatus
from shared.domain.triggers import ScheduledTick
from shared.pipeline.trigger import request_run
from shared.triggers.chain import handle_run_finished
from shared.triggers.cron_intake import handle_scheduled_tick
from tests.unit.api_harness import ApiHarness, in_memory_dependencies, make_harness
from tests.unit.triggers_support import (
    FakeClock,
    create_agent,
    payload_for,
    runs_of,
    send_signed,
    trigger_harness,
    webhook_agent,
)

START = datetime(2025, 1, 15, 11, 59, 30, tzinfo=UTC)


def _new_version(api: ApiHarness, agent_id: str, name: str, trigger: dict[str, Any]) -> None:
    document = {"agent": {"name": name, "system_prompt": "You react, v2.", "trigger": trigger}}
    response = api.client.put(f"/v1/agents/{agent_id}", json=document, headers=api.auth())
    assert response.status_code == 200, response.get_json()


def test_a_webhook_starts_runs_in_its_environment() -> None:
    api, _clock = trigger_harness()
    in_prod = webhook_agent(api, name="hook-prod")
    in_dev = webhook_agent(api, name="hook-dev", environment="dev")
    for trigger, name in ((in_prod, "hook-prod"), (in_dev, "hook-dev")):
        spec_trigger = {"type": "webhook", "preset": "standard"}
        if trigger is in_dev:
            spec_trigger["environment"] = "dev"
        _new_version(api, trigger["agent_id"], name, spec_trigger)

    for trigger in (in_prod, in_dev):
        response = send_signed(api, trigger, payload_for("standard", "d1"), delivery="d1")
        assert response.status_code == 202, response.get_json()

    [prod_run] = runs_of(api, in_prod["agent_id"])
    [dev_run] = runs_of(api, in_dev["agent_id"])
    assert (prod_run.environment, prod_run.agent_version) == ("prod", 1)
    assert (dev_run.environment, dev_run.agent_version) == ("dev", 2)


def test_a_cron_tick_starts_a_run_in_its_environment() -> None:
    api, clock = trigger_harness(FakeClock(START))
    trigger = {"type": "cron", "schedule": "* * * * *", "environment": "staging"}
    agent_id = create_agent(api, "ticker", trigger)["agent"]["agent_id"]
    _new_version(api, agent_id, "ticker", trigger)
    api.client.post(
        f"/v1/agents/{agent_id}/environments/staging/promote",
        json={"version": 2},
        headers=api.auth(),
    )
    job = api.deps.scheduler.get_job(resources.scheduler_job_id(agent_id))
    assert job is not None
    clock.now = START + timedelta(seconds=31)

    handle_scheduled_tick(
        api.deps, ScheduledTick.model_validate_json(job.data), START + timedelta(seconds=30)
    )

    [run] = runs_of(api, agent_id)
    assert (run.environment, run.agent_version) == ("staging", 2)


def test_a_chained_run_starts_in_the_subscribers_environment() -> None:
    model = ScriptedModelClient([ModelResponse(text="done", finish_reason="STOP")])
    api = make_harness(dataclasses.replace(in_memory_dependencies(), model=model, clock=utc_now))
    source = api.create_agent("source")
    on = {"type": "event", "source_agent": source, "environment": "dev"}
    follower = create_agent(api, "follower", on)["agent"]["agent_id"]
    _new_version(api, follower, "follower", on)
    run = request_run(api.deps, api.org_id, source, {})
    status = RunStatus.REQUESTED
    for new, updates in (
        (RunStatus.APPROVED, {}),
        (RunStatus.RUNNING, {}),
        (RunStatus.GENERATED, {"output": "done"}),
        (RunStatus.PASSED, {}),
        (RunStatus.DELIVERED, {}),
    ):
        api.deps.runs.transition(run.run_id, new, expected={status}, **updates)
        status = new

    handle_run_finished(api.deps, run.run_id)

    [chained] = runs_of(api, follower)
    assert (run.environment, run.agent_version) == ("prod", 1)
    assert (chained.environment, chained.agent_version) == ("dev", 2)
