"""End-to-end fixtures: an organisation on the local stack, the example agents' outside world,
and API clients (a small httpx one, the SDK's, the CLI's variables), all through the deployed
process shapes the stack started."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from examples.scenario import (
    PRICE_MONITOR,
    ApiClient,
    OutsideWorld,
    outside_world,
    register_model_script,
    render,
)
from shared import resources
from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies, build_dependencies
from shared.settings import Settings
from switchyard import Client


@dataclass(frozen=True)
class Tenant:
    """An organisation with its API client and signing secret."""

    org_id: str
    api: ApiClient
    signing_secret: str


@pytest.fixture(scope="session")
def deps(stack: Settings) -> Dependencies:
    if not stack.api_url:
        pytest.fail("the local stack runs without Switchyard's services (--no-services)")
    return build_dependencies(stack)


@pytest.fixture
def tenant(deps: Dependencies, stack: Settings) -> Tenant:
    org, key = create_org_with_key(deps, "E2E Co")
    secret = deps.secrets.access(resources.webhook_signing_secret_id(org.org_id)).decode()
    assert stack.api_url
    return Tenant(org.org_id, ApiClient(stack.api_url, key), secret)


@pytest.fixture
def world(tenant: Tenant) -> Iterator[OutsideWorld]:
    with outside_world(tenant.signing_secret) as served:
        yield served


@pytest.fixture
def client(stack: Settings, tenant: Tenant) -> Client:
    """The SDK's client, with the tenant's key."""
    assert stack.api_url
    return Client(stack.api_url, tenant.api.api_key)


@pytest.fixture
def price_monitor(stack: Settings, world: OutsideWorld) -> str:
    """The price monitor's spec, its model script registered."""
    assert stack.vertex_base_url
    register_model_script(stack.vertex_base_url, PRICE_MONITOR, world.variables())
    return render(PRICE_MONITOR / "agent.yaml", world.variables())


@pytest.fixture
def env(stack: Settings, tenant: Tenant, tmp_path: Path) -> dict[str, str]:
    """The CLI's credentials in its variables, and a config directory of the test's own."""
    assert stack.api_url
    return {
        "SWITCHYARD_API_URL": stack.api_url,
        "SWITCHYARD_API_KEY": tenant.api.api_key,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
