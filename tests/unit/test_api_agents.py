"""``/v1/agents``: create from YAML or JSON, read, list, version, and organisation scoping."""

from __future__ import annotations

import pytest

from tests.unit.api_harness import (
    ApiHarness,
    assert_problem,
    make_harness,
    spec_document,
    spec_yaml,
)


@pytest.fixture
def api() -> ApiHarness:
    return make_harness()


@pytest.mark.parametrize("content_type", ["application/yaml", "text/yaml", "application/x-yaml"])
def test_an_agent_is_created_from_yaml(api: ApiHarness, content_type: str) -> None:
    response = api.client.post(
        "/v1/agents", data=spec_yaml(), content_type=content_type, headers=api.auth()
    )

    assert response.status_code == 201
    body = response.get_json()
    agent_id = body["agent"]["agent_id"]
    assert response.headers["Location"] == f"/v1/agents/{agent_id}"
    assert body["agent"]["org_id"] == api.org_id
    assert body["agent"]["name"] == "price-monitor"
    assert body["agent"]["latest_version"] == 1
    assert body["version"]["version"] == 1
    assert body["version"]["spec"]["tools"][0]["config"] == {"allowed_domains": ["shop.example"]}


def test_an_agent_is_created_from_json(api: ApiHarness) -> None:
    response = api.client.post("/v1/agents", json=spec_document("json-agent"), headers=api.auth())

    assert response.status_code == 201
    assert response.get_json()["version"]["spec"]["name"] == "json-agent"


def test_a_spec_comes_back_in_the_form_it_is_written(api: ApiHarness) -> None:
    document = spec_document("gated")
    document["agent"]["evals"] = [
        {"name": "has-price", "assert": [{"type": "contains", "value": "EUR"}]}
    ]

    created = api.client.post("/v1/agents", json=document, headers=api.auth()).get_json()
    spec = created["version"]["spec"]

    assert spec["evals"][0]["assert"] == [
        {"type": "contains", "value": "EUR", "weight": 1.0, "metric": None}
    ]
    again = api.client.post(
        "/v1/agents", json={"agent": {**spec, "name": "gated-copy"}}, headers=api.auth()
    )
    assert again.status_code == 201, again.get_json()


def test_a_bad_spec_is_refused_with_every_problem_and_nothing_is_stored(api: ApiHarness) -> None:
    bad = "agent:\n  name: Not A Name\n  limits: {max_steps: 0}\n"

    response = api.client.post(
        "/v1/agents", data=bad, content_type="application/yaml", headers=api.auth()
    )

    body = assert_problem(response, 422, "invalid_spec")
    fields = {error["field"] for error in body["errors"]}
    assert {"agent.name", "agent.system_prompt", "agent.limits.max_steps"} <= fields
    assert all(error["message"] for error in body["errors"])
    assert api.client.get("/v1/agents", headers=api.auth()).get_json()["items"] == []


def test_yaml_that_does_not_parse_is_a_validation_problem(api: ApiHarness) -> None:
    response = api.client.post(
        "/v1/agents", data="agent: [unclosed", content_type="text/yaml", headers=api.auth()
    )

    assert_problem(response, 422, "invalid_spec")


def test_a_second_agent_of_the_same_name_conflicts(api: ApiHarness) -> None:
    api.create_agent("twin")

    response = api.client.post("/v1/agents", json=spec_document("twin"), headers=api.auth())

    assert_problem(response, 409, "agent_name_taken")


def test_a_body_that_is_neither_yaml_nor_json_is_unsupported(api: ApiHarness) -> None:
    response = api.client.post(
        "/v1/agents", data=spec_yaml(), content_type="text/plain", headers=api.auth()
    )

    assert_problem(response, 415, "unsupported_media_type")


def test_malformed_json_is_a_400_problem(api: ApiHarness) -> None:
    response = api.client.post(
        "/v1/agents", data='{"agent": ', content_type="application/json", headers=api.auth()
    )

    body = assert_problem(response, 400, "invalid_json")
    assert body["errors"][0]["field"] == "body"


def test_a_json_body_that_is_not_an_object_is_a_400_problem(api: ApiHarness) -> None:
    response = api.client.post("/v1/agents", json=["agent"], headers=api.auth())

    assert_problem(response, 400, "invalid_json")


def test_get_returns_the_agent_with_its_latest_version(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    api.client.put(
        f"/v1/agents/{agent_id}",
        data=spec_yaml(prompt="Second prompt."),
        content_type="application/yaml",
        headers=api.auth(),
    )

    response = api.client.get(f"/v1/agents/{agent_id}", headers=api.auth())

    assert response.status_code == 200
    body = response.get_json()
    assert body["agent"]["latest_version"] == 2
    assert body["version"]["version"] == 2
    assert body["version"]["spec"]["system_prompt"] == "Second prompt."


def test_put_stores_a_new_immutable_version(api: ApiHarness) -> None:
    agent_id = api.create_agent()

    response = api.client.put(
        f"/v1/agents/{agent_id}",
        json=spec_document(prompt="Version two."),
        headers=api.auth(),
    )

    assert response.status_code == 200
    body = response.get_json()
    assert body["agent"]["latest_version"] == 2
    assert body["version"]["version"] == 2
    versions = api.client.get(f"/v1/agents/{agent_id}/versions", headers=api.auth()).get_json()
    assert [v["version"] for v in versions["items"]] == [2, 1]
    assert versions["items"][1]["spec"]["system_prompt"] == "You watch competitor prices."
    assert versions["next_page_token"] is None


def test_put_cannot_rename_the_agent(api: ApiHarness) -> None:
    agent_id = api.create_agent()

    response = api.client.put(
        f"/v1/agents/{agent_id}", json=spec_document("renamed"), headers=api.auth()
    )

    assert_problem(response, 422, "agent_name_mismatch")


def test_put_of_an_unknown_agent_is_404(api: ApiHarness) -> None:
    response = api.client.put("/v1/agents/nope", json=spec_document(), headers=api.auth())

    assert_problem(response, 404, "agent_not_found")


def test_agents_are_listed_by_name_in_pages(api: ApiHarness) -> None:
    for name in ("charlie", "alpha", "bravo"):
        api.create_agent(name)

    first = api.client.get("/v1/agents?page_size=2", headers=api.auth()).get_json()
    token = first["next_page_token"]
    second = api.client.get(
        "/v1/agents", query_string={"page_size": 2, "page_token": token}, headers=api.auth()
    ).get_json()

    assert [a["name"] for a in first["items"]] == ["alpha", "bravo"]
    assert token
    assert [a["name"] for a in second["items"]] == ["charlie"]
    assert second["next_page_token"] is None


def test_versions_are_paginated(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    for prompt in ("two", "three"):
        api.client.put(
            f"/v1/agents/{agent_id}", json=spec_document(prompt=prompt), headers=api.auth()
        )

    first = api.client.get(
        f"/v1/agents/{agent_id}/versions?page_size=2", headers=api.auth()
    ).get_json()
    second = api.client.get(
        f"/v1/agents/{agent_id}/versions",
        query_string={"page_size": 2, "page_token": first["next_page_token"]},
        headers=api.auth(),
    ).get_json()

    assert [v["version"] for v in first["items"]] == [3, 2]
    assert [v["version"] for v in second["items"]] == [1]


@pytest.mark.parametrize("page_size", ["0", "101", "ten", "-1", "²"])
def test_a_page_size_outside_1_to_100_is_a_400_problem(api: ApiHarness, page_size: str) -> None:
    response = api.client.get(
        "/v1/agents", query_string={"page_size": page_size}, headers=api.auth()
    )

    body = assert_problem(response, 400, "invalid_parameter")
    assert body["errors"] == [{"field": "page_size", "message": "must be an integer from 1 to 100"}]


def test_a_page_token_the_store_did_not_issue_is_refused(api: ApiHarness) -> None:
    response = api.client.get("/v1/agents?page_token=forged", headers=api.auth())

    assert 400 <= response.status_code < 500
    assert response.get_json()["code"] == "invalid_page_token"


def test_another_organisations_agent_is_not_found(api: ApiHarness) -> None:
    agent_id = api.create_agent("secret-agent", key=api.other_key)

    for response in (
        api.client.get(f"/v1/agents/{agent_id}", headers=api.auth()),
        api.client.put(
            f"/v1/agents/{agent_id}", json=spec_document("secret-agent"), headers=api.auth()
        ),
        api.client.get(f"/v1/agents/{agent_id}/versions", headers=api.auth()),
    ):
        assert_problem(response, 404, "agent_not_found")
    assert api.client.get("/v1/agents", headers=api.auth()).get_json()["items"] == []
    mine = api.client.get("/v1/agents", headers=api.auth(api.other_key)).get_json()["items"]
    assert [agent["agent_id"] for agent in mine] == [agent_id]


def test_two_organisations_may_use_the_same_agent_name(api: ApiHarness) -> None:
    mine = api.create_agent("monitor")
    theirs = api.create_agent("monitor", key=api.other_key)

    assert mine != theirs


def test_every_agent_answer_shows_its_trigger(api: ApiHarness) -> None:
    created = api.client.post(
        "/v1/agents", data=spec_yaml(), content_type="application/yaml", headers=api.auth()
    ).get_json()
    agent_id = created["agent"]["agent_id"]

    shown = api.client.get(f"/v1/agents/{agent_id}", headers=api.auth()).get_json()
    updated = api.client.put(
        f"/v1/agents/{agent_id}",
        data=spec_yaml(prompt="New prompt."),
        content_type="application/yaml",
        headers=api.auth(),
    ).get_json()

    assert created["trigger"] == shown["trigger"] == updated["trigger"] == {"type": "manual"}


def test_a_deactivated_agent_starts_no_run_until_it_is_activated(api: ApiHarness) -> None:
    agent_id = api.create_agent()

    off = api.client.post(f"/v1/agents/{agent_id}/deactivate", headers=api.auth())
    refused = api.client.post(f"/v1/agents/{agent_id}/runs", json={}, headers=api.auth())
    on = api.client.post(f"/v1/agents/{agent_id}/activate", headers=api.auth())

    assert off.status_code == 200 and off.get_json()["agent"]["active"] is False
    assert_problem(refused, 409, "agent_inactive")
    assert on.get_json()["agent"]["active"] is True
    assert api.start_run(agent_id)
    other = api.client.post(f"/v1/agents/{agent_id}/deactivate", headers=api.auth(api.other_key))
    assert_problem(other, 404, "agent_not_found")
