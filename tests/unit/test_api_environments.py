"""Environments: defaults, promotion, rollback, their problems, and isolation between orgs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.api_harness import ApiHarness, assert_problem, make_harness, spec_document


@pytest.fixture
def api() -> ApiHarness:
    return make_harness()


def _put_versions(api: ApiHarness, agent_id: str, count: int) -> None:
    for n in range(count):
        response = api.client.put(
            f"/v1/agents/{agent_id}",
            json=spec_document(prompt=f"version {n + 2}"),
            headers=api.auth(),
        )
        assert response.status_code == 200, response.get_json()


def _versions(api: ApiHarness, agent_id: str, key: str | None = None) -> dict[str, int]:
    response = api.client.get(f"/v1/agents/{agent_id}/environments", headers=api.auth(key))
    assert response.status_code == 200, response.get_json()
    return {name: e["version"] for name, e in response.get_json()["environments"].items()}


def _move(api: ApiHarness, agent_id: str, environment: str, how: str, body: dict[str, Any]) -> Any:
    return api.client.post(
        f"/v1/agents/{agent_id}/environments/{environment}/{how}", json=body, headers=api.auth()
    )


def test_a_new_agent_runs_version_one_everywhere_and_a_put_moves_dev(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    key_id = api.key.split("_")[2]

    first = api.client.get(f"/v1/agents/{agent_id}/environments", headers=api.auth())
    _put_versions(api, agent_id, 2)

    assert first.get_json()["agent_id"] == agent_id
    for pointer in first.get_json()["environments"].values():
        assert (pointer["version"], pointer["updated_by"]) == (1, f"api_key:{key_id}")
    assert _versions(api, agent_id) == {"dev": 3, "staging": 1, "prod": 1}


def test_promotion_by_version_and_from_another_environment(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    _put_versions(api, agent_id, 2)

    to_staging = _move(api, agent_id, "staging", "promote", {"version": 2})
    to_prod = _move(api, agent_id, "prod", "promote", {"from_environment": "staging"})
    again = _move(api, agent_id, "prod", "promote", {"version": 2})

    assert to_staging.status_code == 200, to_staging.get_json()
    changed = to_staging.get_json()
    assert (changed["environment"], changed["from_version"], changed["to_version"]) == (
        "staging",
        1,
        2,
    )
    assert changed["agent"]["environments"]["staging"]["version"] == 2
    assert to_prod.get_json()["to_version"] == 2
    assert (again.status_code, again.get_json()["from_version"]) == (200, 2)  # no change
    assert _versions(api, agent_id) == {"dev": 3, "staging": 2, "prod": 2}


def test_rollback_goes_to_any_earlier_version_in_one_call(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    _put_versions(api, agent_id, 3)
    _move(api, agent_id, "prod", "promote", {"version": 4})

    rolled = _move(api, agent_id, "prod", "rollback", {"version": 1})

    assert rolled.status_code == 200, rolled.get_json()
    assert (rolled.get_json()["from_version"], rolled.get_json()["to_version"]) == (4, 1)
    assert _versions(api, agent_id)["prod"] == 1


@pytest.mark.parametrize(
    ("environment", "how", "body", "status", "code"),
    [
        ("qa", "promote", {"version": 2}, 404, "environment_not_found"),
        ("prod", "promote", {"version": 9}, 404, "agent_version_not_found"),
        ("prod", "rollback", {"version": 9}, 404, "agent_version_not_found"),
        ("prod", "rollback", {"version": 2}, 409, "rollback_not_earlier"),
        ("prod", "rollback", {"version": 3}, 409, "rollback_not_earlier"),
        ("prod", "promote", {"version": 1}, 409, "promotion_to_earlier_version"),
        ("prod", "promote", {}, 422, "invalid_promotion"),
        ("prod", "promote", {"version": 2, "from_environment": "dev"}, 422, "invalid_promotion"),
        ("prod", "promote", {"from_environment": "prod"}, 422, "invalid_promotion"),
        ("prod", "promote", {"from_environment": "qa"}, 422, "invalid_body"),
        ("prod", "rollback", {}, 422, "invalid_body"),
        ("prod", "rollback", {"version": 0}, 422, "invalid_body"),
    ],
)
def test_moves_that_break_a_rule_are_problems(
    api: ApiHarness, environment: str, how: str, body: dict[str, Any], status: int, code: str
) -> None:
    agent_id = api.create_agent()
    _put_versions(api, agent_id, 2)
    _move(api, agent_id, "prod", "promote", {"version": 2})

    response = _move(api, agent_id, environment, how, body)

    assert_problem(response, status, code)
    assert _versions(api, agent_id) == {"dev": 3, "staging": 1, "prod": 2}


def test_another_organisations_environments_are_not_found(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    _put_versions(api, agent_id, 1)
    path = f"/v1/agents/{agent_id}/environments"

    listed = api.client.get(path, headers=api.auth(api.other_key))
    promoted = api.client.post(
        f"{path}/prod/promote", json={"version": 2}, headers=api.auth(api.other_key)
    )

    assert_problem(listed, 404, "agent_not_found")
    assert_problem(promoted, 404, "agent_not_found")
    assert _versions(api, agent_id)["prod"] == 1


def test_an_agents_read_key_cannot_promote(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    created = api.client.post(
        "/v1/keys", json={"name": "reader", "scopes": ["agents:read"]}, headers=api.auth()
    )
    reader = created.get_json()["key"]

    listed = api.client.get(f"/v1/agents/{agent_id}/environments", headers=api.auth(reader))
    refused = api.client.post(
        f"/v1/agents/{agent_id}/environments/prod/promote",
        json={"version": 1},
        headers=api.auth(reader),
    )

    assert listed.status_code == 200
    assert_problem(refused, 403, "insufficient_scope")
