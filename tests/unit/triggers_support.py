"""What the trigger tests share: a clock they move by hand, webhook agents and signed requests."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.test import TestResponse

from shared.adapters.in_memory_scheduler import InMemoryJobScheduler
from shared.domain.runs import Run
from shared.domain.triggers import WebhookPreset
from shared.triggers.signatures import sign_request
from tests.unit.api_harness import ApiHarness, in_memory_dependencies, make_harness


@dataclass
class FakeClock:
    """A clock that stands still until moved; starts at the wall clock's current second.

    (Standard Webhooks' package checks timestamps against the wall clock, so webhook tests
    keep this clock near it.)
    """

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``; returns the new time."""
        self.now += timedelta(**delta)
        return self.now


def trigger_harness(clock: FakeClock | None = None) -> tuple[ApiHarness, FakeClock]:
    """An API harness whose dependencies all read ``clock``."""
    clock = clock or FakeClock()
    deps = dataclasses.replace(
        in_memory_dependencies(), clock=clock, scheduler=InMemoryJobScheduler(clock)
    )
    return make_harness(deps), clock


def create_agent(api: ApiHarness, name: str, trigger: dict[str, Any]) -> dict[str, Any]:
    """Create an agent with ``trigger`` through the API; returns the 201 body."""
    document = {"agent": {"name": name, "system_prompt": "You react.", "trigger": trigger}}
    response = api.client.post("/v1/agents", json=document, headers=api.auth())
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def webhook_agent(
    api: ApiHarness, preset: WebhookPreset = "standard", name: str | None = None, **extra: Any
) -> dict[str, Any]:
    """Create a webhook agent; returns its trigger as created (with ``signing_secret``)."""
    created = create_agent(
        api, name or f"hook-{preset}", {"type": "webhook", "preset": preset, **extra}
    )
    trigger: dict[str, Any] = created["trigger"]
    trigger["agent_id"] = created["agent"]["agent_id"]
    return trigger


def payload_for(preset: WebhookPreset, delivery: str, **fields: Any) -> bytes:
    """A JSON body as ``preset``'s sender writes it, carrying ``delivery`` where it belongs."""
    body: dict[str, Any] = {"title": "Widget price changed", **fields}
    if preset == "stripe":
        body["id"] = delivery
    if preset == "slack":
        body["event_id"] = delivery
    return json.dumps(body).encode()


def send_signed(
    api: ApiHarness,
    trigger: dict[str, Any],
    body: bytes,
    *,
    secret: str | None = None,
    at: datetime | None = None,
    delivery: str = "msg_1",
    headers: dict[str, str] | None = None,
) -> TestResponse:
    """POST ``body`` to the trigger's URL, signed as its preset's sender signs."""
    signed = sign_request(
        trigger["preset"],
        secret or trigger["signing_secret"],
        body,
        at or datetime.now(UTC),
        delivery,
    )
    return api.client.post(
        trigger["path"],
        data=body,
        headers={"Content-Type": "application/json", **signed, **(headers or {})},
    )


def runs_of(api: ApiHarness, agent_id: str) -> list[Run]:
    """Every run of the agent (newest first)."""
    return list(api.deps.runs.list_runs(api.org_id, agent_id=agent_id, page_size=1000).items)
