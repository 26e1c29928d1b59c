"""``POST /v1/runs/{id}/cancel`` and ``GET /v1/runs/{id}?wait=``: stop a run, wait for its end."""

from __future__ import annotations

import threading
import time

import pytest

from shared.domain.runs import RunStatus
from shared.pipeline.cancellation import cancel_run
from shared.pipeline.execution import start_execution
from tests.unit.api_harness import ApiHarness, assert_problem, make_harness


@pytest.fixture
def api() -> ApiHarness:
    return make_harness(config={"RUN_WAIT_POLL_INTERVAL_S": 0.005})


def _event_types(api: ApiHarness, run_id: str) -> list[str]:
    return [event.type for event in api.deps.runs.list_events(run_id)]


def test_a_requested_run_is_cancelled_with_its_event(api: ApiHarness) -> None:
    run_id = api.start_run(api.create_agent())

    response = api.client.post(f"/v1/runs/{run_id}/cancel", headers=api.auth())

    assert response.status_code == 200, response.get_json()
    run = response.get_json()
    assert run["status"] == "cancelled"
    assert run["error"]["code"] == "cancelled"
    assert _event_types(api, run_id) == ["run.requested", "run.cancelled"]
    [cancelled] = api.deps.runs.list_events(run_id, after_seq=1)
    assert cancelled.data["cancelled_by"].startswith("api_key:")


def test_cancelling_twice_is_one_cancellation(api: ApiHarness) -> None:
    run_id = api.start_run(api.create_agent())

    first = api.client.post(f"/v1/runs/{run_id}/cancel", headers=api.auth())
    second = api.client.post(f"/v1/runs/{run_id}/cancel", headers=api.auth())

    assert first.status_code == second.status_code == 200
    assert second.get_json() == first.get_json()
    assert _event_types(api, run_id).count("run.cancelled") == 1


def test_a_run_that_has_ended_cannot_be_cancelled(api: ApiHarness) -> None:
    run_id = api.start_run(api.create_agent())
    api.deps.runs.transition(run_id, RunStatus.REJECTED, expected={RunStatus.REQUESTED})

    response = api.client.post(f"/v1/runs/{run_id}/cancel", headers=api.auth())

    assert_problem(response, 409, "run_already_terminal")
    assert api.deps.runs.get_run(run_id).status == RunStatus.REJECTED


def test_another_organisations_run_is_not_found(api: ApiHarness) -> None:
    run_id = api.start_run(api.create_agent())

    response = api.client.post(f"/v1/runs/{run_id}/cancel", headers=api.auth(api.other_key))

    assert_problem(response, 404, "run_not_found")
    assert api.deps.runs.get_run(run_id).status == RunStatus.REQUESTED


def test_a_running_run_stops_before_its_next_step(api: ApiHarness) -> None:
    run_id = api.start_run(api.create_agent())
    api.deps.runs.transition(run_id, RunStatus.APPROVED, expected={RunStatus.REQUESTED})
    start_execution(api.deps, run_id)
    assert api.deps.runs.get_run(run_id).status == RunStatus.RUNNING

    run = cancel_run(api.deps, api.org_id, run_id, "tester")

    assert run.status == RunStatus.CANCELLED
    later = api.deps.runs.transition(run_id, RunStatus.GENERATED, expected={RunStatus.RUNNING})
    assert later.run.status == RunStatus.CANCELLED  # the pipeline's next claim is skipped


def test_wait_answers_at_once_for_an_ended_run(api: ApiHarness) -> None:
    run_id = api.start_run(api.create_agent())
    api.client.post(f"/v1/runs/{run_id}/cancel", headers=api.auth())

    started = time.monotonic()
    response = api.client.get(f"/v1/runs/{run_id}?wait=30", headers=api.auth())

    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert time.monotonic() - started < 5


def test_wait_gives_the_run_as_it_is_when_the_wait_passes(api: ApiHarness) -> None:
    run_id = api.start_run(api.create_agent())

    started = time.monotonic()
    response = api.client.get(f"/v1/runs/{run_id}?wait=0.2", headers=api.auth())

    assert response.get_json()["status"] == "requested"
    assert time.monotonic() - started >= 0.2


def test_wait_returns_once_the_run_ends(api: ApiHarness) -> None:
    run_id = api.start_run(api.create_agent())
    timer = threading.Timer(0.1, cancel_run, (api.deps, api.org_id, run_id, "tester"))
    timer.start()

    started = time.monotonic()
    response = api.client.get(f"/v1/runs/{run_id}?wait=20", headers=api.auth())
    timer.join()

    assert response.get_json()["status"] == "cancelled"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("wait", ["-1", "61", "soon", "nan"])
def test_a_wait_out_of_range_is_refused(api: ApiHarness, wait: str) -> None:
    run_id = api.start_run(api.create_agent())

    response = api.client.get(f"/v1/runs/{run_id}?wait={wait}", headers=api.auth())

    assert_problem(response, 400, "invalid_parameter")
