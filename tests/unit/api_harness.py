"""The API under test: an app on in-memory twins, with two organisations and their keys.

Test modules of the API build it in a fixture (``api = make_harness()``); each test gets fresh
stores, so nothing leaks between tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from cloudrun.api import create_app
from shared.adapters.in_memory_agent_store import InMemoryAgentStore
from shared.adapters.in_memory_blob_store import InMemoryBlobStore
from shared.adapters.in_memory_idempotency_store import InMemoryIdempotencyStore
from shared.adapters.in_memory_identity_store import InMemoryIdentityStore
from shared.adapters.in_memory_publisher import InMemoryEventPublisher, PublishedMessage
from shared.adapters.in_memory_run_store import InMemoryRunStore
from shared.adapters.in_memory_scheduler import InMemoryJobScheduler
from shared.adapters.in_memory_secret_store import InMemorySecretStore
from shared.adapters.in_memory_task_queue import InMemoryTaskQueue
from shared.adapters.in_memory_trigger_store import InMemoryTriggerStore
from shared.adapters.scripted_model_client import ScriptedModelClient
from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies
from shared.settings import Settings

TEST_PROJECT = "test-project"
# Fast enough that a test of a whole stream takes milliseconds.
FAST_STREAM = {"SSE_POLL_INTERVAL_S": 0.001, "SSE_HEARTBEAT_S": 60.0, "SSE_MAX_DURATION_S": 5.0}


PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail", "code"})


def assert_problem(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """Check that ``response`` is an RFC 9457 problem with ``status`` and ``code``; return it."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json()
    assert set(body) >= PROBLEM_MEMBERS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:switchyard:problem:{code}"
    return body


def ticking_clock(start: datetime | None = None) -> Callable[[], datetime]:
    """A clock that moves one second per reading, so every record has its own time."""
    origin = start or datetime(2025, 1, 1, tzinfo=UTC)
    ticks = itertools.count()
    return lambda: origin + timedelta(seconds=next(ticks))


def in_memory_dependencies() -> Dependencies:
    """Dependencies from the in-memory twins, with an empty model script."""
    clock = ticking_clock()
    return Dependencies(
        settings=Settings(project_id=TEST_PROJECT),
        runs=InMemoryRunStore(),
        agents=InMemoryAgentStore(),
        identities=InMemoryIdentityStore(),
        publisher=InMemoryEventPublisher(),
        tasks=InMemoryTaskQueue(),
        blobs=InMemoryBlobStore(TEST_PROJECT),
        secrets=InMemorySecretStore(),
        model=ScriptedModelClient([]),
        triggers=InMemoryTriggerStore(),
        idempotency=InMemoryIdempotencyStore(),
        scheduler=InMemoryJobScheduler(clock),
        clock=clock,
    )


def spec_yaml(name: str = "price-monitor", prompt: str = "You watch competitor prices.") -> str:
    """A valid agent spec as YAML."""
    return f"""
agent:
  name: {name}
  system_prompt: {prompt}
  tools:
    - name: http_fetch
      config: {{allowed_domains: [shop.example]}}
  limits: {{max_steps: 4, timeout_s: 60}}
"""


def spec_document(name: str = "price-monitor", prompt: str = "You watch prices.") -> dict[str, Any]:
    """A valid agent spec as a JSON document."""
    return {"agent": {"name": name, "system_prompt": prompt}}


@dataclass
class ApiHarness:
    """An app, its test client and stores, and two organisations with one key each.

    Attributes:
        deps: The in-memory dependencies the app serves with.
        app: The Flask app.
        client: Its test client.
        org_id: The first organisation ("Acme"), the default caller.
        key: Its API key.
        other_org_id: A second organisation ("Globex"), for isolation tests.
        other_key: Its API key.
    """

    deps: Dependencies
    app: Flask
    client: FlaskClient
    org_id: str
    key: str
    other_org_id: str
    other_key: str

    @property
    def published(self) -> list[PublishedMessage]:
        """Every message published so far (the twin's record)."""
        assert isinstance(self.deps.publisher, InMemoryEventPublisher)
        return self.deps.publisher.published

    def auth(self, key: str | None = None) -> dict[str, str]:
        """``Authorization`` header with ``key`` (the first organisation's by default)."""
        return {"Authorization": f"Bearer {key or self.key}"}

    def create_agent(self, name: str = "price-monitor", key: str | None = None) -> str:
        """Create an agent through the API and return its id."""
        response = self.client.post(
            "/v1/agents",
            data=spec_yaml(name),
            content_type="application/yaml",
            headers=self.auth(key),
        )
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["agent"]["agent_id"])

    def start_run(
        self, agent_id: str, run_input: Mapping[str, Any] | None = None, key: str | None = None
    ) -> str:
        """Start a run through the API and return its id."""
        response = self.client.post(
            f"/v1/agents/{agent_id}/runs",
            json={"input": dict(run_input or {})},
            headers=self.auth(key),
        )
        assert response.status_code == 202, response.get_json()
        return str(response.get_json()["run_id"])


def make_harness(
    deps: Dependencies | None = None, config: Mapping[str, Any] | None = None
) -> ApiHarness:
    """A fresh app on in-memory twins (or ``deps``) with two bootstrapped organisations."""
    deps = deps or in_memory_dependencies()
    app = create_app(deps, {"TESTING": True, **FAST_STREAM, **(config or {})})
    org, key = create_org_with_key(deps, "Acme")
    other_org, other_key = create_org_with_key(deps, "Globex")
    return ApiHarness(
        deps=deps,
        app=app,
        client=app.test_client(),
        org_id=org.org_id,
        key=key,
        other_org_id=other_org.org_id,
        other_key=other_key,
    )
