"""The eval gates on the local stack: blocked, warned, parked and approved, rejected at
pre-flight, and graded by the Gemini emulator; verdicts read back through the API."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from emulators.vertex.admin_client import register_script
from emulators.vertex.script import Script
from examples.scenario import OutsideWorld
from shared.composition import Dependencies
from shared.settings import Settings
from tests.e2e.conftest import Tenant

TERMINAL = {"delivered", "delivery_failed", "blocked", "rejected", "failed", "cancelled"}


def _agent(
    stack: Settings,
    tenant: Tenant,
    world: OutsideWorld,
    evals: list[dict[str, Any]],
    answer: str,
    grader_reply: str | None = None,
) -> str:
    """An agent answering ``answer`` in one step, with ``evals``; returns its id.

    Its name is unique, so its model script (and its grader's) serve only its own runs.
    """
    assert stack.vertex_base_url
    name = f"evals-{uuid.uuid4().hex[:10]}"
    turns = [{"text": answer}]
    register_script(
        stack.vertex_base_url,
        Script.model_validate(
            {"script": name, "match": {"switchyard-agent": name}, "turns": turns}
        ),
    )
    if grader_reply is not None:
        # Registered last, so it wins over the agent's script for requests with both labels.
        match = {"switchyard-agent": name, "switchyard_purpose": "eval_grader"}
        grader = {"script": f"{name}-grader", "match": match, "turns": [{"text": grader_reply}]}
        register_script(stack.vertex_base_url, Script.model_validate(grader))
    spec = {
        "agent": {
            "name": name,
            "system_prompt": "Answer the customer.",
            "evals": evals,
            "delivery": [{"type": "webhook", "url": world.variables()["WEBHOOK_URL"]}],
            "alerts": {"webhook_url": world.variables()["ALERTS_URL"]},
            "limits": {"max_steps": 2, "timeout_s": 30},
        }
    }
    return str(tenant.api.create_agent(json.dumps(spec))["agent"]["agent_id"])


def _wait(tenant: Tenant, run_id: str, statuses: set[str], timeout_s: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        run = tenant.api.get(f"/v1/runs/{run_id}")
        if run["status"] in statuses or time.monotonic() > deadline:
            assert run["status"] in statuses, run
            return run
        time.sleep(0.25)


def _post(tenant: Tenant, path: str, body: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {tenant.api.api_key}"}
    return httpx.post(f"{tenant.api.base_url}{path}", json=body, headers=headers, timeout=30)


def _evals(tenant: Tenant, run_id: str) -> list[dict[str, Any]]:
    return list(tenant.api.get(f"/v1/runs/{run_id}/evals")["evals"])


def _eval(name: str, assertion: dict[str, Any], action: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "assert": [assertion],
            "on_failure": {"severity": "critical", "action": action}, **extra}  # fmt: skip


def test_a_critical_eval_blocks_the_run_and_alerts(
    stack: Settings, tenant: Tenant, world: OutsideWorld
) -> None:
    no_promise = _eval("no_promise", {"type": "not-icontains", "value": "guaranteed"},
                       "block_delivery")  # fmt: skip
    agent_id = _agent(stack, tenant, world, [no_promise], "A refund is guaranteed.")

    run = _wait(tenant, tenant.api.start_run(agent_id, {"q": "refund?"})["run_id"], TERMINAL)

    assert run["status"] == "blocked" and run["error"]["code"] == "eval_failed"
    [verdict] = _evals(tenant, run["run_id"])
    assert (verdict["gate"], verdict["name"], verdict["passed"]) == (
        "post_generation",
        "no_promise",
        False,
    )
    assert json.loads(world.alerts.wait_for(1, timeout_s=30)[0].body)["run_id"] == run["run_id"]
    assert world.webhooks.requests == []


def test_a_warning_is_delivered_attached_and_a_continuous_eval_grades_it(
    stack: Settings, tenant: Tenant, world: OutsideWorld
) -> None:
    tone = _eval("tone", {"type": "icontains", "value": "thank you"}, "warn")
    # Graded in the deliver function, by the model emulator.
    price = {"name": "has_price", "stage": "continuous", "sample_rate": 1.0,
             "assert": [{"type": "llm-rubric", "value": "States a price"}]}  # fmt: skip
    reply = '{"pass": true, "score": 1, "reason": "A price in EUR."}'
    agent_id = _agent(stack, tenant, world, [tone, price], "It costs 19.99 EUR.", reply)

    run = _wait(tenant, tenant.api.start_run(agent_id, {"q": "price?"})["run_id"], TERMINAL)

    assert run["status"] == "delivered", run
    assert len(world.webhooks.wait_for(1, timeout_s=30)) == 1
    deadline = time.monotonic() + 30
    while len(verdicts := _evals(tenant, run["run_id"])) < 2 and time.monotonic() < deadline:
        time.sleep(0.25)
    assert [(v["gate"], v["name"], v["passed"]) for v in verdicts] == [
        ("post_generation", "tone", False),
        ("continuous", "has_price", True),
    ]
    assert verdicts[1]["assertions"][0]["reason"] == "A price in EUR."
    stats = tenant.api.get(f"/v1/agents/{agent_id}/eval-stats?window=1h")["evals"]
    assert {(s["name"], s["total"], s["passed"]) for s in stats} == {
        ("tone", 1, 0),
        ("has_price", 1, 1),
    }


def test_a_parked_run_is_delivered_once_approved(
    stack: Settings, tenant: Tenant, world: OutsideWorld
) -> None:
    review = _eval("review", {"type": "icontains", "value": "approved"}, "require_approval")
    agent_id = _agent(stack, tenant, world, [review], "Here is your draft.")
    run_id = tenant.api.start_run(agent_id, {"q": "draft"})["run_id"]

    _wait(tenant, run_id, {"awaiting_approval"} | TERMINAL)
    assert world.webhooks.requests == []
    approved = _post(tenant, f"/v1/runs/{run_id}/approve", {"note": "fine"})
    run = _wait(tenant, run_id, TERMINAL)

    assert approved.status_code == 200 and approved.json()["status"] in {"passed", "delivered"}
    assert run["status"] == "delivered"
    assert len(world.webhooks.wait_for(1, timeout_s=30)) == 1
    again = _post(tenant, f"/v1/runs/{run_id}/approve", {})
    assert again.status_code == 409


def test_pii_in_the_input_is_rejected_at_preflight(
    stack: Settings, deps: Dependencies, tenant: Tenant, world: OutsideWorld
) -> None:
    no_pii = _eval("no_pii", {"type": "not-contains-pii"}, "block_delivery", stage="pre_flight")
    agent_id = _agent(stack, tenant, world, [no_pii], "never asked")
    run_input = {"ticket": "Call me at +1 415-555-2671 or mail dana.miller@example.com"}

    run = _wait(tenant, tenant.api.start_run(agent_id, run_input)["run_id"], TERMINAL)

    assert run["status"] == "rejected" and run["error"]["code"] == "preflight_eval_failed"
    [verdict] = _evals(tenant, run["run_id"])
    assert (verdict["gate"], verdict["passed"]) == ("pre_flight", False)
    assert deps.runs.list_steps(run["run_id"]) == []


def test_an_llm_rubric_is_graded_by_the_model_emulator(
    stack: Settings, tenant: Tenant, world: OutsideWorld
) -> None:
    rubric = _eval("currency", {"type": "llm-rubric", "value": "States the currency"},
                   "block_delivery")  # fmt: skip
    reply = '{"pass": false, "score": 0, "reason": "No currency is given."}'
    agent_id = _agent(stack, tenant, world, [rubric], "It costs 19.99.", grader_reply=reply)

    run = _wait(tenant, tenant.api.start_run(agent_id, {"q": "price?"})["run_id"], TERMINAL)

    assert run["status"] == "blocked", run
    assert "No currency is given." in run["error"]["message"]
    [verdict] = _evals(tenant, run["run_id"])
    [graded] = verdict["assertions"]
    assert graded["type"] == "llm-rubric" and graded["reason"] == "No currency is given."
    exchange = graded["grader"][0]
    assert exchange["request"]["labels"]["switchyard_purpose"] == "eval_grader"
    assert exchange["response"]["text"] == reply
