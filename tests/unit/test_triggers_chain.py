"""Event triggers: a delivered run starts its subscribers once; loops are refused when saved."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from shared.adapters.scripted_model_client import ScriptedModelClient
from shared.composition import utc_now
from shared.domain.model_io import ModelResponse
from shared.domain.runs import RunStatus, TriggerKind
from shared.pipeline.trigger import request_run
from shared.triggers.chain import MAX_DEPTH, handle_run_finished
from tests.unit.api_harness import ApiHarness, assert_problem, in_memory_dependencies, make_harness
from tests.unit.pipeline_driver import PipelineDriver
from tests.unit.triggers_support import create_agent, runs_of

ANSWER = "Widget: 17.49 EUR at competitor-b"


@pytest.fixture
def api() -> ApiHarness:
    model = ScriptedModelClient([ModelResponse(text=ANSWER, finish_reason="STOP")])
    return make_harness(dataclasses.replace(in_memory_dependencies(), model=model, clock=utc_now))


def _on(source_id: str) -> dict[str, Any]:
    return {"type": "event", "source_agent": source_id, "on": ["delivered"]}


def _put(api: ApiHarness, agent_id: str, name: str, trigger: dict[str, Any]) -> Any:
    document = {"agent": {"name": name, "system_prompt": "x", "trigger": trigger}}
    return api.client.put(f"/v1/agents/{agent_id}", json=document, headers=api.auth())


def _delivered_run(api: ApiHarness, agent_id: str, run_input: dict[str, Any] | None = None) -> str:
    run = request_run(api.deps, api.org_id, agent_id, run_input or {})
    path: list[tuple[RunStatus, dict[str, Any]]] = [
        (RunStatus.APPROVED, {}),
        (RunStatus.RUNNING, {}),
        (RunStatus.GENERATED, {"output": ANSWER}),
        (RunStatus.PASSED, {}),
        (RunStatus.DELIVERED, {}),
    ]
    status = RunStatus.REQUESTED
    for new, updates in path:
        api.deps.runs.transition(run.run_id, new, expected={status}, **updates)
        status = new
    return run.run_id


def test_a_delivered_run_starts_its_subscriber_once_with_its_output(api: ApiHarness) -> None:
    source = api.create_agent("source")
    follower = create_agent(api, "follower", _on(source))
    follower_id = follower["agent"]["agent_id"]
    run_id = _delivered_run(api, source)

    handle_run_finished(api.deps, run_id)
    handle_run_finished(api.deps, run_id)  # Pub/Sub delivered run-finished twice

    assert follower["trigger"] == {"type": "event", "source_agent": source}
    runs = runs_of(api, follower_id)
    assert len(runs) == 1
    assert runs[0].trigger == TriggerKind.EVENT
    assert runs[0].input == {
        "output": ANSWER,
        "source": {"agent_id": source, "run_id": run_id, "agent_version": 1, "depth": 1},
    }


def test_the_whole_pipeline_chains_two_agents(api: ApiHarness) -> None:
    source = api.create_agent("source")
    follower_id = create_agent(api, "follower", _on(source))["agent"]["agent_id"]
    run = request_run(api.deps, api.org_id, source, {"product": "widget"})

    PipelineDriver(api.deps, copies=2).run_until_quiet()

    assert api.deps.runs.get_run(run.run_id).status == RunStatus.DELIVERED
    chained = runs_of(api, follower_id)
    assert len(chained) == 1
    assert chained[0].status == RunStatus.DELIVERED
    assert chained[0].input["output"] == ANSWER


def test_runs_that_are_not_delivered_start_nothing(api: ApiHarness) -> None:
    source = api.create_agent("source")
    follower_id = create_agent(api, "follower", _on(source))["agent"]["agent_id"]
    run = request_run(api.deps, api.org_id, source, {})
    api.deps.runs.transition(run.run_id, RunStatus.FAILED, expected={RunStatus.REQUESTED})

    handle_run_finished(api.deps, run.run_id)

    assert runs_of(api, follower_id) == []


def test_a_deactivated_or_changed_subscriber_is_not_started(api: ApiHarness) -> None:
    source = api.create_agent("source")
    paused = create_agent(api, "paused", _on(source))["agent"]["agent_id"]
    changed = create_agent(api, "changed", _on(source))["agent"]["agent_id"]
    api.client.post(f"/v1/agents/{paused}/deactivate", headers=api.auth())
    assert _put(api, changed, "changed", {"type": "manual"}).status_code == 200

    handle_run_finished(api.deps, _delivered_run(api, source))

    assert runs_of(api, paused) == runs_of(api, changed) == []


def test_a_chain_stops_at_its_maximum_depth(api: ApiHarness) -> None:
    source = api.create_agent("source")
    follower_id = create_agent(api, "follower", _on(source))["agent"]["agent_id"]
    deep = {"source": {"agent_id": "x", "run_id": "y", "agent_version": 1, "depth": MAX_DEPTH}}
    run = request_run(api.deps, api.org_id, source, deep, TriggerKind.EVENT)
    steps: list[tuple[RunStatus, dict[str, Any]]] = [
        (RunStatus.APPROVED, {}), (RunStatus.RUNNING, {}),
        (RunStatus.GENERATED, {"output": "o"}), (RunStatus.PASSED, {}), (RunStatus.DELIVERED, {}),
    ]  # fmt: skip
    for new, updates in steps:
        api.deps.runs.transition(run.run_id, new, expected=set(RunStatus), **updates)

    handle_run_finished(api.deps, run.run_id)

    assert runs_of(api, follower_id) == []


def test_a_trigger_that_would_loop_is_refused_when_saved(api: ApiHarness) -> None:
    a = api.create_agent("a")
    b = create_agent(api, "b", _on(a))["agent"]["agent_id"]
    c = create_agent(api, "c", _on(b))["agent"]["agent_id"]

    two = _put(api, a, "a", _on(b))
    three = _put(api, a, "a", _on(c))
    itself = _put(api, b, "b", _on(b))

    body = assert_problem(two, 422, "trigger_loop")
    assert body["errors"][0]["field"] == "agent.trigger.source_agent"
    assert f"{a} ← {b} ← {a}" in body["detail"]
    assert_problem(three, 422, "trigger_loop")
    assert_problem(itself, 422, "trigger_loop")
    assert _put(api, c, "c", _on(a)).status_code == 200  # a fork, not a loop


def test_a_source_that_does_not_exist_in_the_organisation_is_refused(api: ApiHarness) -> None:
    theirs = api.create_agent("theirs", key=api.other_key)

    for source in ("no-such-agent", theirs):
        document = {"agent": {"name": "f", "system_prompt": "x", "trigger": _on(source)}}
        response = api.client.post("/v1/agents", json=document, headers=api.auth())
        assert_problem(response, 422, "unknown_source_agent")
