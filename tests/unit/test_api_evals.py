"""GET /v1/runs/{id}/evals, POST /v1/runs/{id}/approve and /reject."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared import resources
from shared.domain.eval_results import EvalRecord
from shared.domain.runs import RunStatus
from shared.domain.spec import EvalSpec
from shared.evals.gate import evaluate
from tests.unit.api_harness import ApiHarness, assert_problem, make_harness


@pytest.fixture
def api() -> ApiHarness:
    return make_harness()


def _parked_run(api: ApiHarness) -> str:
    """A run moved by hand to ``awaiting_approval``, with one verdict at each gate."""
    run_id = api.start_run(api.create_agent())
    moves = [
        (
            RunStatus.APPROVED,
            RunStatus.REQUESTED,
            {"evals": [{"name": "input_ok", "passed": True}]},
        ),
        (RunStatus.RUNNING, RunStatus.APPROVED, None),
        (RunStatus.GENERATED, RunStatus.RUNNING, None),
        (
            RunStatus.AWAITING_APPROVAL,
            RunStatus.GENERATED,
            {"evals": [{"name": "review", "passed": False}]},
        ),
    ]
    for new, expected, data in moves:
        api.deps.runs.transition(run_id, new, expected={expected}, event_data=data)
    return run_id


def test_evals_lists_every_verdict_with_its_gate(api: ApiHarness) -> None:
    run_id = _parked_run(api)

    body = api.client.get(f"/v1/runs/{run_id}/evals", headers=api.auth()).get_json()

    assert body["status"] == "awaiting_approval"
    assert [(e["gate"], e["name"], e["passed"]) for e in body["evals"]] == [
        ("pre_flight", "input_ok", True),
        ("post_generation", "review", False),
    ]


def test_approving_a_parked_run_passes_it_on_to_delivery(api: ApiHarness) -> None:
    run_id = _parked_run(api)

    response = api.client.post(
        f"/v1/runs/{run_id}/approve", json={"note": "ok"}, headers=api.auth()
    )

    assert response.status_code == 200
    assert response.get_json()["status"] == "passed"
    assert api.published[-1].topic == resources.RUN_PASSED
    approved = api.deps.runs.list_events(run_id)[-1]
    assert approved.data["approved_by"].startswith("api_key:")
    again = api.client.post(f"/v1/runs/{run_id}/reject", json={}, headers=api.auth())
    assert_problem(again, 409, "run_not_awaiting_approval")


def test_rejecting_blocks_the_run_and_another_org_cannot_review_it(api: ApiHarness) -> None:
    run_id = _parked_run(api)

    foreign = api.client.post(f"/v1/runs/{run_id}/reject", json={}, headers=api.auth(api.other_key))
    assert_problem(foreign, 404, "run_not_found")
    response = api.client.post(f"/v1/runs/{run_id}/reject", json={"note": "no"}, headers=api.auth())

    assert response.get_json()["status"] == "blocked"
    assert response.get_json()["error"]["code"] == "rejected_by_reviewer"
    assert api.published[-1].topic == resources.RUN_STOPPED


def _verdict(api: ApiHarness, run_id: str, name: str, passed: bool, at: datetime) -> EvalRecord:
    run = api.deps.runs.get_run(run_id)
    result = evaluate(
        EvalSpec.model_validate(
            {"name": name, "assert": [{"type": "icontains", "value": "eur" if passed else "usd"}]}
        ),
        "19.99 EUR",
    )
    return EvalRecord.of(run, result, at)


def test_stored_verdicts_are_served_with_their_detail(api: ApiHarness) -> None:
    run_id = _parked_run(api)
    at = datetime(2025, 1, 2, tzinfo=UTC)
    api.deps.eval_results.record_results([_verdict(api, run_id, "currency", False, at)])

    body = api.client.get(f"/v1/runs/{run_id}/evals", headers=api.auth()).get_json()

    [verdict] = body["evals"]
    assert (verdict["gate"], verdict["name"], verdict["passed"]) == (
        "post_generation",
        "currency",
        False,
    )
    assert verdict["assertions"][0]["type"] == "icontains"
    assert verdict["assertions"][0]["reason"].startswith("Expected output to contain")
    assert verdict["run_id"] == run_id and "org_id" not in verdict


def test_eval_stats_report_pass_rates_per_eval_in_the_window(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    now = api.deps.clock()
    runs = [api.start_run(agent_id) for _ in range(4)]
    api.deps.eval_results.record_results(
        [
            _verdict(api, runs[0], "currency", True, now - timedelta(minutes=10)),
            _verdict(api, runs[1], "currency", False, now - timedelta(minutes=50)),
            _verdict(api, runs[2], "currency", True, now - timedelta(hours=3)),
            _verdict(api, runs[3], "tone", True, now - timedelta(days=2)),
        ]
    )

    def stats(window: str) -> dict[str, Any]:
        url = f"/v1/agents/{agent_id}/eval-stats?window={window}"
        response = api.client.get(url, headers=api.auth())
        assert response.status_code == 200, response.get_data(as_text=True)
        body: dict[str, Any] = response.get_json()
        return {e["name"]: (e["total"], e["passed"], e["pass_rate"]) for e in body["evals"]}

    assert stats("1h") == {"currency": (2, 1, 0.5)}
    assert stats("24h") == {"currency": (3, 2, 2 / 3)}
    assert stats("7d") == {"currency": (3, 2, 2 / 3), "tone": (1, 1, 1.0)}
    hour = api.client.get(f"/v1/agents/{agent_id}/eval-stats?window=1h", headers=api.auth())
    buckets = hour.get_json()["evals"][0]["buckets"]
    assert len(buckets) == 12 and sum(b["total"] for b in buckets) == 2
    assert [b["pass_rate"] for b in buckets if b["total"]] == [0.0, 1.0]


def test_eval_stats_refuse_an_unknown_window_and_another_orgs_agent(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    url = f"/v1/agents/{agent_id}/eval-stats"

    assert_problem(api.client.get(f"{url}?window=2h", headers=api.auth()), 422, "invalid_window")
    assert_problem(api.client.get(url, headers=api.auth(api.other_key)), 404, "agent_not_found")
