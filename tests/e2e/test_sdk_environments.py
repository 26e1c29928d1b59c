"""Environments, API keys and the audit log through the SDK, against the local stack."""

from __future__ import annotations

import asyncio
import time

import pytest

from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies
from shared.settings import Settings
from switchyard import (
    AsyncClient,
    AuthenticationError,
    Client,
    ConflictError,
    NotFoundError,
)
from tests.e2e.conftest import Tenant


def _versions(client: Client, agent_id: str) -> dict[str, int]:
    found = client.list_environments(agent_id).environments
    return {name: pointer.version for name, pointer in found.items()}


def test_runs_use_their_environments_version_through_promotion_and_rollback(
    client: Client, price_monitor: str
) -> None:
    agent_id = client.create_agent(price_monitor).agent.agent_id
    client.update_agent(agent_id, price_monitor.replace("temperature: 0.2", "temperature: 0.3"))

    assert _versions(client, agent_id) == {"dev": 2, "staging": 1, "prod": 1}
    in_prod = client.create_run(agent_id, {"product": "widget"})
    in_dev = client.create_run(agent_id, {"product": "widget"}, environment="dev")
    staged = client.promote(agent_id, "staging", from_environment="dev")
    promoted = client.promote(agent_id, "prod", version=2)
    after_promotion = client.create_run(agent_id, {"product": "widget"})
    rolled = client.rollback(agent_id, "prod", 1)
    after_rollback = client.create_run(agent_id, {"product": "widget"})

    assert (in_prod.environment, in_prod.agent_version) == ("prod", 1)
    assert (in_dev.environment, in_dev.agent_version) == ("dev", 2)
    assert (staged.from_version, staged.to_version) == (1, 2)
    assert (promoted.environment, promoted.to_version) == ("prod", 2)
    assert after_promotion.agent_version == 2
    assert (rolled.from_version, rolled.to_version) == (2, 1)
    assert after_rollback.agent_version == 1
    assert _versions(client, agent_id) == {"dev": 2, "staging": 2, "prod": 1}
    for run in (in_prod, in_dev, after_promotion, after_rollback):
        finished = client.wait_for_run(run.run_id, timeout_s=120)
        assert finished.status == "delivered", finished
        assert finished.agent_version == run.agent_version
    with pytest.raises(ConflictError) as not_earlier:
        client.rollback(agent_id, "prod", 1)
    with pytest.raises(ConflictError) as earlier:
        client.promote(agent_id, "staging", version=1)
    with pytest.raises(NotFoundError) as no_version:
        client.promote(agent_id, "prod", version=9)
    with pytest.raises(NotFoundError) as no_environment:
        client.promote(agent_id, "qa", version=2)
    assert not_earlier.value.code == "rollback_not_earlier"
    assert earlier.value.code == "promotion_to_earlier_version"
    assert no_version.value.code == "agent_version_not_found"
    assert no_environment.value.code == "environment_not_found"


def test_every_change_is_in_the_audit_log_of_its_organisation_only(
    client: Client, price_monitor: str, deps: Dependencies, stack: Settings
) -> None:
    agent_id = client.create_agent(price_monitor).agent.agent_id
    client.update_agent(agent_id, price_monitor.replace("temperature: 0.2", "temperature: 0.3"))
    client.promote(agent_id, "prod", version=2)
    client.rollback(agent_id, "prod", 1)
    created = client.create_key("ci", ["runs:read"])
    client.revoke_key(created.api_key.key_id)
    assert stack.api_url
    _, other_key = create_org_with_key(deps, "Other Co")
    other = Client(stack.api_url, other_key)

    about_agent = list(client.list_audit_events(resource_type="agent", resource_id=agent_id))
    about_keys = list(client.list_audit_events(resource_type="api_key", page_size=1))

    assert [(e.action, e.details.get("to_version")) for e in about_agent] == [
        ("agent.environment_rolled_back", 1),
        ("agent.environment_promoted", 2),
        ("agent.version_created", None),
        ("agent.created", None),
    ]
    actor = f"api_key:{client_key_id(client)}"
    assert {event.actor for event in about_agent} == {actor}
    assert [(e.action, e.resource_id) for e in about_keys] == [
        ("api_key.revoked", created.api_key.key_id),
        ("api_key.created", created.api_key.key_id),
    ]
    assert list(other.list_audit_events()) == []
    with pytest.raises(NotFoundError):
        other.list_environments(agent_id)
    with pytest.raises(NotFoundError):
        other.promote(agent_id, "prod", version=2)
    assert _versions(client, agent_id)["prod"] == 1


def client_key_id(client: Client) -> str:
    """The key id of the client's own key (the oldest key of a fresh organisation)."""
    return next(iter(client.list_keys())).key_id


def test_keys_are_created_listed_and_revoked(client: Client, stack: Settings) -> None:
    assert stack.api_url
    created = client.create_key("reader", ["agents:read"], expires_in_s=3600)
    reader = Client(stack.api_url, created.key)

    listed = {key.key_id: key for key in client.list_keys(page_size=1)}
    assert list(reader.list_agents()) == []
    revoked = client.revoke_key(created.api_key.key_id)

    assert created.key.startswith("sy_live_")
    assert listed[created.api_key.key_id].scopes == ["agents:read"]
    assert "key" not in listed[created.api_key.key_id].model_dump()
    assert revoked.revoked
    deadline = time.monotonic() + 15  # each API instance caches a key for at most 5 s
    while True:
        try:
            list(reader.list_agents())
        except AuthenticationError as refused:
            assert refused.code == "api_key_revoked"
            break
        assert time.monotonic() < deadline, "the revoked key still works"
        time.sleep(0.5)


def test_the_async_client_promotes_and_rolls_back(
    stack: Settings, tenant: Tenant, price_monitor: str
) -> None:
    assert stack.api_url
    api_url = stack.api_url

    async def scenario() -> tuple[int, int, dict[str, int]]:
        async with AsyncClient(api_url, tenant.api.api_key) as client:
            agent_id = (await client.create_agent(price_monitor)).agent.agent_id
            await client.update_agent(agent_id, price_monitor.replace("0.2", "0.4"))
            promoted = await client.promote(agent_id, "prod", from_environment="dev")
            rolled = await client.rollback(agent_id, "prod", 1)
            found = (await client.list_environments(agent_id)).environments
            keys = [key async for key in client.list_keys()]
            assert keys
            return promoted.to_version, rolled.to_version, {n: p.version for n, p in found.items()}

    assert asyncio.run(scenario()) == (2, 1, {"dev": 2, "staging": 1, "prod": 1})
