"""Environment rules for agents stored before environments existed, and environment names
(promotion and rollback races are in the AgentStore contract suite, the API in
test_api_environments.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.adapters.records import next_version, with_environment
from shared.domain.agents import Agent
from shared.domain.environments import environment_named
from shared.domain.spec import load_agent_spec
from shared.errors import NotFoundError

THEN = datetime(2025, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SPEC = load_agent_spec({"agent": {"name": "old", "system_prompt": "p"}})


def _legacy(latest: int = 3) -> Agent:
    return Agent(
        agent_id="a",
        org_id="o",
        name="old",
        latest_version=latest,
        created_at=THEN,
        updated_at=THEN,
    )


def test_a_legacy_agent_runs_its_latest_version_everywhere() -> None:
    pointers = _legacy().environment_pointers()

    assert {name: p.version for name, p in pointers.items()} == {
        "dev": 3,
        "staging": 3,
        "prod": 3,
    }
    assert {(p.updated_at, p.updated_by) for p in pointers.values()} == {(THEN, "system")}


def test_a_legacy_agents_new_version_moves_dev_only() -> None:
    updated, version = next_version(_legacy(), SPEC, NOW, "api_key:k")

    assert version.version == 4
    assert {name: p.version for name, p in updated.environments.items()} == {
        "dev": 4,
        "staging": 3,
        "prod": 3,
    }
    assert updated.environments["dev"].updated_by == "api_key:k"
    assert updated.environments["prod"].updated_by == "system"


def test_a_legacy_agents_environment_moves_by_compare_and_set() -> None:
    moved = with_environment(_legacy(), "prod", 1, NOW, "api_key:k", expected_version=3)

    assert moved.version_in("prod") == 1
    assert moved.version_in("staging") == 3


@pytest.mark.parametrize("name", ["qa", "PROD", "", "prod "])
def test_only_three_environments_exist(name: str) -> None:
    with pytest.raises(NotFoundError) as caught:
        environment_named(name)
    assert caught.value.code == "environment_not_found"
    assert environment_named("staging") == "staging"
