"""AgentStore contract: one suite, run against the in-memory twin and Firestore (emulator)."""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

import pytest

from shared.adapters.firestore_agent_store import FirestoreAgentStore
from shared.adapters.in_memory_agent_store import InMemoryAgentStore
from shared.domain.spec import AgentSpec, load_agent_spec
from shared.errors import ConflictError, NotFoundError, ValidationError
from shared.ports.agent_store import AgentStore

Race = Callable[..., list[Any]]


@pytest.fixture(params=["memory", "firestore"])
def store(request: pytest.FixtureRequest) -> AgentStore:
    if request.param == "memory":
        return InMemoryAgentStore()
    return FirestoreAgentStore(request.getfixturevalue("firestore_client"))


@pytest.fixture
def org_id(namespace: str) -> str:
    return f"org-{namespace}"


def _spec(name: str = "price-monitor", prompt: str = "You are a pricing analyst.") -> AgentSpec:
    return load_agent_spec(
        {
            "agent": {
                "name": name,
                "system_prompt": prompt,
                "trigger": {"type": "cron", "schedule": "0 */6 * * *", "timezone": "Europe/Berlin"},
                "tools": [{"name": "http_fetch", "config": {"allowed_domains": ["example.com"]}}],
                "permissions": {"slack": ["write:channels:#price-alerts"]},
                "evals": [
                    {
                        "name": "mentions_price",
                        "assert": [
                            {"type": "icontains", "value": "EUR"},
                            {"type": "equals", "value": [["nested"], []], "weight": 0},
                        ],
                    }
                ],
                "delivery": [{"type": "webhook", "url": "https://example.com/hook"}],
                "limits": {"max_steps": 4, "timeout_s": 60, "max_cost_usd": 0.5},
            }
        }
    )


def test_a_created_agent_has_its_spec_as_version_one(store: AgentStore, org_id: str) -> None:
    spec = _spec()

    agent, version = store.create_agent(org_id, spec)

    assert (agent.org_id, agent.name, agent.latest_version, agent.active) == (
        org_id,
        "price-monitor",
        1,
        True,
    )
    assert (version.agent_id, version.version, version.spec) == (agent.agent_id, 1, spec)
    assert store.get_agent(org_id, agent.agent_id) == agent
    assert store.get_version(org_id, agent.agent_id, 1) == version
    assert agent.created_at.utcoffset() is not None


def test_agents_get_random_ids(store: AgentStore, org_id: str) -> None:
    first, _ = store.create_agent(org_id, _spec("first"))
    second, _ = store.create_agent(org_id, _spec("second"))

    assert first.agent_id != second.agent_id
    assert len(first.agent_id) == 32


def test_versions_count_up_and_stay_as_they_were(store: AgentStore, org_id: str) -> None:
    agent, first = store.create_agent(org_id, _spec())

    second = store.add_version(org_id, agent.agent_id, _spec(prompt="Second prompt."))
    third = store.add_version(org_id, agent.agent_id, _spec(prompt="Third prompt."))

    assert (second.version, third.version) == (2, 3)
    assert store.get_version(org_id, agent.agent_id, 1) == first
    assert store.get_version(org_id, agent.agent_id, 2).spec.system_prompt == "Second prompt."
    latest = store.get_agent(org_id, agent.agent_id)
    assert (latest.latest_version, latest.created_at) == (3, agent.created_at)
    assert latest.updated_at >= agent.updated_at


def test_versions_are_listed_newest_first_in_pages(store: AgentStore, org_id: str) -> None:
    agent, _ = store.create_agent(org_id, _spec())
    for n in range(2, 6):
        store.add_version(org_id, agent.agent_id, _spec(prompt=f"Prompt {n}."))

    first = store.list_versions(org_id, agent.agent_id, page_size=3)
    rest = store.list_versions(
        org_id, agent.agent_id, page_size=3, page_token=first.next_page_token
    )

    assert [v.version for v in first.items] == [5, 4, 3]
    assert [v.version for v in rest.items] == [2, 1]
    assert rest.next_page_token is None
    assert rest.items[1].spec == _spec()


def test_a_version_must_keep_the_agents_name(store: AgentStore, org_id: str) -> None:
    agent, _ = store.create_agent(org_id, _spec())

    with pytest.raises(ValidationError) as caught:
        store.add_version(org_id, agent.agent_id, _spec("renamed"))

    assert caught.value.code == "agent_name_mismatch"
    assert store.get_agent(org_id, agent.agent_id).latest_version == 1


def test_a_name_is_taken_once_per_organisation(store: AgentStore, org_id: str) -> None:
    store.create_agent(org_id, _spec())

    with pytest.raises(ConflictError) as caught:
        store.create_agent(org_id, _spec(prompt="Another agent, same name."))
    elsewhere, _ = store.create_agent(f"{org_id}-other", _spec())

    assert caught.value.code == "agent_name_taken"
    assert elsewhere.org_id == f"{org_id}-other"
    assert [a.name for a in store.list_agents(org_id).items] == ["price-monitor"]


def test_of_concurrent_creators_of_one_name_one_wins(
    store: AgentStore, org_id: str, race: Race
) -> None:
    def create() -> str:
        try:
            return store.create_agent(org_id, _spec())[0].agent_id
        except ConflictError as error:
            return error.code

    outcomes = race(3, create)

    winners = [outcome for outcome in outcomes if outcome != "agent_name_taken"]
    assert len(winners) == 1
    assert [a.agent_id for a in store.list_agents(org_id).items] == winners


def test_concurrent_versions_get_distinct_numbers(
    store: AgentStore, org_id: str, race: Race
) -> None:
    agent, _ = store.create_agent(org_id, _spec())

    versions = race(3, lambda: store.add_version(org_id, agent.agent_id, _spec()).version)

    assert sorted(versions) == [2, 3, 4]
    assert store.get_agent(org_id, agent.agent_id).latest_version == 4


def test_another_organisations_agent_is_not_found(store: AgentStore, org_id: str) -> None:
    agent, _ = store.create_agent(org_id, _spec())
    other = f"{org_id}-other"

    for attempt in (
        lambda: store.get_agent(other, agent.agent_id),
        lambda: store.add_version(other, agent.agent_id, _spec()),
        lambda: store.get_version(other, agent.agent_id, 1),
        lambda: store.list_versions(other, agent.agent_id),
    ):
        with pytest.raises(NotFoundError):
            attempt()

    assert store.list_agents(other).items == ()
    assert store.get_agent(org_id, agent.agent_id).latest_version == 1


@pytest.mark.parametrize("agent_id", ["no-such-agent", "a/b", "__x__"])
def test_a_missing_agent_or_version_is_not_found(
    store: AgentStore, org_id: str, agent_id: str
) -> None:
    agent, _ = store.create_agent(org_id, _spec())

    with pytest.raises(NotFoundError) as missing_agent:
        store.get_agent(org_id, agent_id)
    with pytest.raises(NotFoundError):
        store.list_versions(org_id, agent_id)
    with pytest.raises(NotFoundError):
        store.get_version(org_id, agent_id, 1)
    with pytest.raises(NotFoundError) as missing_version:
        store.get_version(org_id, agent.agent_id, 2)

    assert missing_agent.value.code == "agent_not_found"
    assert missing_version.value.code == "agent_version_not_found"


def test_agents_are_listed_by_name_in_pages(store: AgentStore, org_id: str) -> None:
    for name in ("delta", "alpha", "charlie", "bravo", "echo"):
        store.create_agent(org_id, _spec(name))
    store.create_agent(f"{org_id}-other", _spec("aardvark"))

    names, token = [], None
    while True:
        page = store.list_agents(org_id, page_size=2, page_token=token)
        names.append([agent.name for agent in page.items])
        token = page.next_page_token
        if token is None:
            break

    assert names == [["alpha", "bravo"], ["charlie", "delta"], ["echo"]]


@pytest.mark.parametrize("token", ["garbage", "WyJydW5zIl0="])
def test_a_page_token_the_store_did_not_issue_is_refused(
    store: AgentStore, org_id: str, token: str
) -> None:
    agent, _ = store.create_agent(org_id, _spec())

    for listing in (
        lambda: store.list_agents(org_id, page_token=token),
        lambda: store.list_versions(org_id, agent.agent_id, page_token=token),
    ):
        with pytest.raises(ValidationError) as caught:
            listing()
        assert caught.value.code == "invalid_page_token"


def test_an_agent_is_deactivated_and_activated(store: AgentStore, org_id: str) -> None:
    agent, _version = store.create_agent(org_id, _spec("switch"))

    off = store.set_active(org_id, agent.agent_id, False)
    off_again = store.set_active(org_id, agent.agent_id, False)
    on = store.set_active(org_id, agent.agent_id, True)

    assert agent.active and not off.active and on.active
    assert off_again == off  # no change, no new updated_at
    assert store.get_agent(org_id, agent.agent_id) == on
    assert on.latest_version == 1
    with pytest.raises(NotFoundError):
        store.set_active("another-org", agent.agent_id, False)
    with pytest.raises(NotFoundError):
        store.set_active(org_id, "no-such-agent", False)


def test_a_new_agent_runs_version_one_everywhere(store: AgentStore, org_id: str) -> None:
    agent, _ = store.create_agent(org_id, _spec(), actor="api_key:k1")

    assert sorted(agent.environments) == ["dev", "prod", "staging"]
    for pointer in agent.environments.values():
        assert (pointer.version, pointer.updated_by) == (1, "api_key:k1")
        assert pointer.updated_at == agent.created_at
    assert store.get_agent(org_id, agent.agent_id).environments == agent.environments


def test_a_new_version_moves_dev_only(store: AgentStore, org_id: str) -> None:
    agent, _ = store.create_agent(org_id, _spec(), actor="api_key:k1")

    store.add_version(org_id, agent.agent_id, _spec(prompt="v2"), actor="api_key:k2")
    stored = store.get_agent(org_id, agent.agent_id)

    assert {name: p.version for name, p in stored.environments.items()} == {
        "dev": 2,
        "staging": 1,
        "prod": 1,
    }
    assert stored.environments["dev"].updated_by == "api_key:k2"
    assert stored.environments["prod"].updated_by == "api_key:k1"
    assert (stored.version_in("dev"), stored.version_in("prod")) == (2, 1)


def test_an_environment_is_moved_by_compare_and_set(store: AgentStore, org_id: str) -> None:
    agent, _ = store.create_agent(org_id, _spec())
    store.add_version(org_id, agent.agent_id, _spec(prompt="v2"))

    moved = store.set_environment(
        org_id, agent.agent_id, "prod", 2, actor="api_key:k3", expected_version=1
    )
    with pytest.raises(ConflictError) as stale:
        store.set_environment(org_id, agent.agent_id, "prod", 1, actor="x", expected_version=1)
    with pytest.raises(NotFoundError) as missing:
        store.set_environment(org_id, agent.agent_id, "staging", 3, actor="x")
    with pytest.raises(NotFoundError) as other_org:
        store.set_environment(f"{org_id}-other", agent.agent_id, "prod", 1, actor="x")

    assert (moved.version_in("prod"), moved.environments["prod"].updated_by) == (2, "api_key:k3")
    assert store.get_agent(org_id, agent.agent_id) == moved
    assert stale.value.code == "environment_changed"
    assert missing.value.code == "agent_version_not_found"
    assert other_org.value.code == "agent_not_found"
    assert store.get_agent(org_id, agent.agent_id).version_in("staging") == 1


def test_of_concurrent_moves_from_one_version_one_wins(
    store: AgentStore, org_id: str, race: Race
) -> None:
    agent, _ = store.create_agent(org_id, _spec())
    for prompt in ("v2", "v3", "v4"):
        store.add_version(org_id, agent.agent_id, _spec(prompt=prompt))

    versions = queue.SimpleQueue[int]()
    for version in (2, 3, 4):
        versions.put(version)

    def promote() -> int | str:
        version = versions.get()
        try:
            return store.set_environment(
                org_id, agent.agent_id, "prod", version, actor="x", expected_version=1
            ).version_in("prod")
        except ConflictError as error:
            return error.code

    outcomes = race(3, promote)

    winners = [outcome for outcome in outcomes if outcome != "environment_changed"]
    assert len(winners) == 1
    assert store.get_agent(org_id, agent.agent_id).version_in("prod") == winners[0]
