"""End-to-end fixtures: an organisation on the local stack, the example agents' outside world,
and an API client, all through the deployed process shapes the stack started."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from examples.scenario import ApiClient, OutsideWorld, outside_world
from shared import resources
from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies, build_dependencies
from shared.settings import Settings


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
