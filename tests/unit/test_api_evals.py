"""GET /v1/runs/{id}/evals, POST /v1/runs/{id}/approve and /reject."""

from __future__ import annotations

import pytest

from shared import resources
from shared.domain.runs import RunStatus
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
