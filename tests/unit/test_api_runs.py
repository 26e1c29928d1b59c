"""``/v1/agents/{id}/runs`` and ``/v1/runs``: start, read and list runs, scoped to the caller."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

import pytest

from shared.adapters.in_memory_publisher import InMemoryEventPublisher
from shared.domain.runs import RunStatus
from shared.errors import TransientError
from tests.unit.api_harness import (
    ApiHarness,
    assert_problem,
    in_memory_dependencies,
    make_harness,
)


@pytest.fixture
def api() -> ApiHarness:
    return make_harness()


class UnavailablePublisher(InMemoryEventPublisher):
    """A broker that accepts nothing."""

    def publish_raw(self, topic: str, data: bytes, attributes: Mapping[str, str]) -> str:
        raise TransientError("publish_timeout", "the broker did not answer")


def test_a_run_is_accepted_with_202_and_published_on_run_requested(api: ApiHarness) -> None:
    agent_id = api.create_agent()

    response = api.client.post(
        f"/v1/agents/{agent_id}/runs", json={"input": {"sku": "A-1"}}, headers=api.auth()
    )

    assert response.status_code == 202
    run = response.get_json()
    assert response.headers["Location"] == f"/v1/runs/{run['run_id']}"
    assert run["status"] == "requested"
    assert run["input"] == {"sku": "A-1"}
    assert run["org_id"] == api.org_id
    assert run["agent_version"] == 1
    assert run["trigger"] == "manual"
    [message] = api.published
    assert message.topic == "run-requested"
    assert json.loads(message.data)["run_id"] == run["run_id"]
    assert message.attributes == {
        "event_type": "switchyard.run.requested.v1",
        "org_id": api.org_id,
        "agent_id": agent_id,
    }


def test_a_run_pins_the_version_its_environment_runs(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    api.client.put(
        f"/v1/agents/{agent_id}",
        json={"agent": {"name": "price-monitor", "system_prompt": "v2"}},
        headers=api.auth(),
    )

    def started(body: dict[str, object]) -> tuple[object, object]:
        run = api.client.post(f"/v1/agents/{agent_id}/runs", json=body, headers=api.auth())
        assert run.status_code == 202, run.get_json()
        return run.get_json()["environment"], run.get_json()["agent_version"]

    assert started({}) == ("prod", 1)  # a new version goes to dev only
    assert started({"environment": "dev"}) == ("dev", 2)
    assert started({"environment": "staging"}) == ("staging", 1)
    promoted = api.client.post(
        f"/v1/agents/{agent_id}/environments/prod/promote",
        json={"from_environment": "dev"},
        headers=api.auth(),
    )
    assert promoted.status_code == 200, promoted.get_json()
    assert started({}) == ("prod", 2)


def test_an_unknown_environment_is_refused(api: ApiHarness) -> None:
    agent_id = api.create_agent()

    response = api.client.post(
        f"/v1/agents/{agent_id}/runs", json={"environment": "qa"}, headers=api.auth()
    )

    body = assert_problem(response, 422, "invalid_body")
    assert body["errors"][0]["field"] == "environment"
    assert api.published == []


def test_an_empty_body_starts_a_run_with_an_empty_input(api: ApiHarness) -> None:
    agent_id = api.create_agent()

    response = api.client.post(f"/v1/agents/{agent_id}/runs", headers=api.auth())

    assert response.status_code == 202
    assert response.get_json()["input"] == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [({"input": "text"}, "input"), ({"input": {}, "priority": 1}, "priority")],
)
def test_a_bad_run_body_names_the_field(api: ApiHarness, body: object, field: str) -> None:
    agent_id = api.create_agent()

    response = api.client.post(f"/v1/agents/{agent_id}/runs", json=body, headers=api.auth())

    problem = assert_problem(response, 422, "invalid_body")
    assert [error["field"] for error in problem["errors"]] == [field]
    assert api.published == []


def test_an_input_over_256_kib_is_refused(api: ApiHarness) -> None:
    agent_id = api.create_agent()

    response = api.client.post(
        f"/v1/agents/{agent_id}/runs", json={"input": {"text": "x" * 300_000}}, headers=api.auth()
    )

    assert_problem(response, 422, "input_too_large")


def test_a_body_over_1_mib_is_refused_before_it_is_read(api: ApiHarness) -> None:
    agent_id = api.create_agent()

    response = api.client.post(
        f"/v1/agents/{agent_id}/runs",
        json={"input": {"text": "x" * 1_100_000}},
        headers=api.auth(),
    )

    assert_problem(response, 413, "request_entity_too_large")


def test_a_run_of_an_unknown_agent_is_404(api: ApiHarness) -> None:
    response = api.client.post("/v1/agents/nope/runs", json={"input": {}}, headers=api.auth())

    assert_problem(response, 404, "agent_not_found")


def test_a_broker_outage_is_a_503_with_retry_after_and_the_run_is_failed() -> None:
    deps = dataclasses.replace(in_memory_dependencies(), publisher=UnavailablePublisher())
    api = make_harness(deps)
    agent_id = api.create_agent()

    response = api.client.post(f"/v1/agents/{agent_id}/runs", json={}, headers=api.auth())

    assert_problem(response, 503, "trigger_publish_failed")
    assert response.headers["Retry-After"].isdigit()
    [run] = api.client.get("/v1/runs", headers=api.auth()).get_json()["items"]
    assert run["status"] == "failed"


def test_get_returns_the_run_and_hides_other_organisations_runs(api: ApiHarness) -> None:
    run_id = api.start_run(api.create_agent())

    mine = api.client.get(f"/v1/runs/{run_id}", headers=api.auth())
    theirs = api.client.get(f"/v1/runs/{run_id}", headers=api.auth(api.other_key))

    assert mine.status_code == 200
    assert mine.get_json()["run_id"] == run_id
    assert_problem(theirs, 404, "run_not_found")


def test_another_organisations_agent_cannot_be_run(api: ApiHarness) -> None:
    agent_id = api.create_agent(key=api.other_key)

    response = api.client.post(f"/v1/agents/{agent_id}/runs", json={}, headers=api.auth())

    assert_problem(response, 404, "agent_not_found")
    assert api.published == []


def test_an_id_that_cannot_exist_is_404(api: ApiHarness) -> None:
    response = api.client.get("/v1/runs/__reserved__", headers=api.auth())

    assert_problem(response, 404, "run_not_found")


def test_runs_are_listed_newest_first_in_pages(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    run_ids = [api.start_run(agent_id, {"n": n}) for n in range(3)]

    first = api.client.get("/v1/runs?page_size=2", headers=api.auth()).get_json()
    second = api.client.get(
        "/v1/runs",
        query_string={"page_size": 2, "page_token": first["next_page_token"]},
        headers=api.auth(),
    ).get_json()

    listed = [run["run_id"] for run in first["items"] + second["items"]]
    assert listed == run_ids[::-1]
    assert second["next_page_token"] is None


def test_runs_are_filtered_by_agent_and_status(api: ApiHarness) -> None:
    monitor, digest = api.create_agent("monitor"), api.create_agent("digest")
    monitor_run = api.start_run(monitor)
    digest_run = api.start_run(digest)
    api.deps.runs.transition(digest_run, RunStatus.REJECTED, expected={RunStatus.REQUESTED})

    def listed(**query: str) -> list[str]:
        response = api.client.get("/v1/runs", query_string=query, headers=api.auth())
        return [run["run_id"] for run in response.get_json()["items"]]

    assert listed(agent_id=monitor) == [monitor_run]
    assert listed(status="rejected") == [digest_run]
    assert listed(status="requested", agent_id=digest) == []
    assert sorted(listed()) == sorted([monitor_run, digest_run])


def test_another_organisations_runs_are_not_listed(api: ApiHarness) -> None:
    theirs = api.start_run(api.create_agent(key=api.other_key), key=api.other_key)

    mine = api.client.get("/v1/runs", headers=api.auth()).get_json()["items"]
    by_their_agent = api.client.get(
        "/v1/runs",
        query_string={"agent_id": api.deps.runs.get_run(theirs).agent_id},
        headers=api.auth(),
    ).get_json()["items"]

    assert mine == []
    assert by_their_agent == []


def test_an_unknown_status_filter_is_a_400_problem(api: ApiHarness) -> None:
    response = api.client.get("/v1/runs?status=finished", headers=api.auth())

    problem = assert_problem(response, 400, "invalid_parameter")
    assert problem["errors"][0]["field"] == "status"
    assert "delivered" in problem["errors"][0]["message"]
