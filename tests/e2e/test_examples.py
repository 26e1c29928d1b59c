"""Each example agent through every stage of the local stack: API → Pub/Sub → functions →
executor → Cloud Tasks → tools → Gemini emulator → evals → signed delivery / alert."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from examples.scenario import (
    PRICE_MONITOR,
    SUPPORT_REPLY_GATE,
    OutsideWorld,
    register_model_script,
    render,
)
from shared.composition import Dependencies
from shared.settings import Settings
from tests.e2e.conftest import Tenant


def run_to_end(
    stack: Settings, tenant: Tenant, world: OutsideWorld, example: Path, run_input: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Apply ``example``, trigger it, follow its events to the end; returns (run, event types)."""
    assert stack.vertex_base_url
    register_model_script(stack.vertex_base_url, example, world.variables())
    agent = tenant.api.create_agent(render(example / "agent.yaml", world.variables()))["agent"]
    run = tenant.api.start_run(agent["agent_id"], run_input)
    events = [event_type for event_type, _data in tenant.api.events(run["run_id"], timeout_s=90)]
    return tenant.api.get(f"/v1/runs/{run['run_id']}"), events


def test_the_price_monitor_is_fetched_evaluated_and_delivered_signed(
    stack: Settings, deps: Dependencies, tenant: Tenant, world: OutsideWorld
) -> None:
    run, events = run_to_end(stack, tenant, world, PRICE_MONITOR, {"product": "widget"})

    assert run["status"] == "delivered", run
    assert events[0] == "run.requested" and events[-1] == "run.delivered"
    for stage in ("approved", "running", "generated", "passed"):
        assert events.count(f"run.{stage}") == 1
    assert sorted(r.path for r in world.pages.requests) == [
        "/competitor-a/widget",
        "/competitor-b/widget",
    ]
    assert world.verified == [f"{run['run_id']}-delivery-0"]  # one delivery, signature verified
    delivered = json.loads(world.webhooks.requests[0].body)
    assert "lowest is competitor-b" in delivered["output"]
    stored = deps.runs.get_run(run["run_id"])
    assert stored.usage.model_steps == 2 and stored.usage.tool_calls == 2
    artifact = json.loads(deps.blobs.get(run["artifact_uri"]))
    assert artifact["output"] == delivered["output"]
    trace = tenant.api.get(f"/v1/runs/{run['run_id']}/trace")
    assert [s["step"] for s in trace["steps"]] == [0, 1]
    assert all(item["trace"] and "content" in item["trace"] for item in trace["steps"])
    tool_calls = trace["tool_calls"]
    assert [c["status"] for c in tool_calls] == ["succeeded", "succeeded"]
    assert "19.99 EUR" in json.dumps(tool_calls[0]["trace"]["content"])
    assert world.alerts.requests == []


def test_the_gated_reply_is_blocked_never_delivered_and_the_owner_alerted(
    stack: Settings, tenant: Tenant, world: OutsideWorld
) -> None:
    run, events = run_to_end(stack, tenant, world, SUPPORT_REPLY_GATE, {"ticket": "locked out"})

    assert run["status"] == "blocked"
    assert events[-1] == "run.blocked"
    assert run["error"]["code"] == "eval_failed"
    assert "no_email_address" in run["error"]["message"]
    alerts = world.alerts.wait_for(1, timeout_s=30)
    assert len(alerts) == 1
    assert json.loads(alerts[0].body)["reason"]["code"] == "eval_failed"
    assert world.verified == [f"{run['run_id']}-alert"]
    assert world.webhooks.requests == []
