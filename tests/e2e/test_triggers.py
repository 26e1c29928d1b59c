"""Triggers on the local stack, through the deployed process shapes: signed webhooks of every
preset and their replays, a cron job firing through the Scheduler emulator and Pub/Sub, the
Idempotency-Key under fifty concurrent requests on Firestore, and two agents chained by an
event. The cron test waits for the next whole minute (up to about 80 seconds)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import pytest

from emulators.vertex.admin_client import register_script
from emulators.vertex.script import Script
from shared.composition import Dependencies
from shared.domain.runs import Run, RunStatus, TriggerKind
from shared.domain.triggers import WebhookPreset
from shared.settings import Settings
from shared.triggers.signatures import sign_request
from tests.e2e.conftest import Tenant

T = TypeVar("T")
PRESETS: list[WebhookPreset] = ["standard", "github", "stripe", "slack"]


@pytest.fixture
def client(tenant: Tenant) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {tenant.api.api_key}"}
    with httpx.Client(base_url=tenant.api.base_url, headers=headers, timeout=30.0) as http:
        yield http


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _create(client: httpx.Client, name: str, trigger: dict[str, Any]) -> dict[str, Any]:
    document = {"agent": {"name": name, "system_prompt": "You react.", "trigger": trigger}}
    response = client.post("/v1/agents", json=document)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _runs(deps: Dependencies, tenant: Tenant, agent_id: str) -> list[Run]:
    return list(deps.runs.list_runs(tenant.org_id, agent_id=agent_id, page_size=100).items)


def _poll(what: str, probe: Callable[[], T | None], timeout_s: float) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"{what}: nothing within {timeout_s} s")


def _body(preset: WebhookPreset, delivery: str) -> bytes:
    fields: dict[str, Any] = {"title": "Widget price changed"}
    if preset == "stripe":
        fields["id"] = delivery
    if preset == "slack":
        fields["event_id"] = delivery
    return json.dumps(fields).encode()


@pytest.mark.parametrize("preset", PRESETS)
def test_a_signed_webhook_starts_one_run_and_its_replay_none(
    client: httpx.Client, deps: Dependencies, tenant: Tenant, preset: WebhookPreset
) -> None:
    created = _create(client, _name(f"hook-{preset}"), {"type": "webhook", "preset": preset})
    trigger, agent_id = created["trigger"], created["agent"]["agent_id"]
    body = _body(preset, "delivery-1")
    headers = {
        "Content-Type": "application/json",
        **sign_request(preset, trigger["signing_secret"], body, datetime.now(UTC), "delivery-1"),
    }

    first = httpx.post(trigger["url"], content=body, headers=headers, timeout=30)
    replay = httpx.post(trigger["url"], content=body, headers=headers, timeout=30)
    forged = httpx.post(trigger["url"], content=body + b" ", headers=headers, timeout=30)

    assert first.status_code == 202, first.text
    assert replay.status_code == 200 and replay.json()["replayed"] is True
    assert replay.json()["run_id"] == first.json()["run_id"]
    assert forged.status_code == 401
    assert forged.headers["content-type"] == "application/problem+json"
    runs = _runs(deps, tenant, agent_id)
    assert [run.run_id for run in runs] == [first.json()["run_id"]]
    assert runs[0].trigger == TriggerKind.WEBHOOK
    # The run entered the pipeline: pre-flight took it from run-requested.
    _poll(
        "pre-flight",
        lambda: deps.runs.get_run(runs[0].run_id).status != RunStatus.REQUESTED,
        timeout_s=30,
    )


def test_broken_webhooks_get_4xx_from_the_deployed_api_and_start_nothing(
    client: httpx.Client, deps: Dependencies, tenant: Tenant
) -> None:
    created = _create(client, _name("hook-fuzz"), {"type": "webhook", "preset": "stripe"})
    url, agent_id = created["trigger"]["url"], created["agent"]["agent_id"]
    statuses = []
    with httpx.Client(timeout=30) as http:
        for i in range(100):
            header = [f"t={i}", f"t={i},v1={'a' * 64}", "v1=", ",", "t=1,v1=zz", "\u00e9"][i % 6]
            body = [b"{}", b"\xff", b"", b"[" * 50][i % 4]
            response = http.post(
                url, content=body, headers={b"Stripe-Signature": header.encode("latin-1")}
            )
            statuses.append(response.status_code)

    assert set(statuses) <= {400, 401}
    assert _runs(deps, tenant, agent_id) == []


def test_a_cron_job_fires_at_its_minute_in_its_time_zone(
    client: httpx.Client, deps: Dependencies, tenant: Tenant
) -> None:
    zone = ZoneInfo("Asia/Kolkata")  # UTC+5:30: a time zone whose minutes are not UTC's hours
    now = datetime.now(UTC)
    target = now.replace(second=0, microsecond=0) + timedelta(minutes=1 if now.second < 40 else 2)
    local = target.astimezone(zone)
    schedule = f"{local.minute} {local.hour} * * *"
    created = _create(
        client, _name("cron"), {"type": "cron", "schedule": schedule, "timezone": "Asia/Kolkata"}
    )
    agent_id = created["agent"]["agent_id"]
    assert created["trigger"]["next_run_at"] == target.isoformat().replace("+00:00", "Z")

    runs = _poll(
        "the scheduled run",
        lambda: _runs(deps, tenant, agent_id),
        timeout_s=(target - datetime.now(UTC)).total_seconds() + 45,
    )

    run = runs[0]
    assert run.trigger == TriggerKind.CRON
    assert run.input == {"scheduled_at": local.isoformat(), "timezone": "Asia/Kolkata"}
    assert target <= run.created_at < target + timedelta(seconds=30)
    time.sleep(2)  # a second run would come from a duplicate tick right behind the first
    assert len(_runs(deps, tenant, agent_id)) == 1
    shown = client.get(f"/v1/agents/{agent_id}").json()["trigger"]
    assert shown["next_run_at"] == (target + timedelta(days=1)).isoformat().replace("+00:00", "Z")


def test_fifty_concurrent_identical_requests_with_one_key_make_one_run(
    client: httpx.Client, deps: Dependencies, tenant: Tenant
) -> None:
    agent_id = _create(client, _name("burst"), {"type": "manual"})["agent"]["agent_id"]
    key = f'"{uuid.uuid4()}"'
    barrier = threading.Barrier(50)

    def attempt(_: int) -> httpx.Response:
        barrier.wait(timeout=30)
        return client.post(
            f"/v1/agents/{agent_id}/runs",
            json={"input": {"sku": "A-1"}},
            headers={"Idempotency-Key": key},
        )

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(attempt, range(50)))
    replay = client.post(
        f"/v1/agents/{agent_id}/runs",
        json={"input": {"sku": "A-1"}},
        headers={"Idempotency-Key": key},
    )
    reused = client.post(
        f"/v1/agents/{agent_id}/runs",
        json={"input": {"sku": "B-2"}},
        headers={"Idempotency-Key": key},
    )

    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {202, 409}, [a.text for a in answers if a.status_code not in {202, 409}]
    accepted = {answer.json()["run_id"] for answer in answers if answer.status_code == 202}
    runs = _runs(deps, tenant, agent_id)
    assert len(runs) == 1 and accepted == {runs[0].run_id}
    assert replay.status_code == 202 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["run_id"] == runs[0].run_id
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"


def test_an_event_trigger_chains_two_agents(
    client: httpx.Client, deps: Dependencies, tenant: Tenant, stack: Settings
) -> None:
    assert stack.vertex_base_url
    source_name, follower_name = _name("source"), _name("follower")
    for name, text in ((source_name, "Widget: 17.49 EUR"), (follower_name, "Noted: 17.49 EUR")):
        script = {"script": name, "match": {"switchyard-agent": name}, "turns": [{"text": text}]}
        register_script(stack.vertex_base_url, Script.model_validate(script))
    source_id = _create(client, source_name, {"type": "manual"})["agent"]["agent_id"]
    event = {"type": "event", "source_agent": source_id, "on": ["delivered"]}
    follower_id = _create(client, follower_name, event)["agent"]["agent_id"]

    started = client.post(f"/v1/agents/{source_id}/runs", json={"input": {"sku": "A-1"}}).json()
    chained = _poll(
        "the chained run",
        lambda: [r for r in _runs(deps, tenant, follower_id) if r.status.terminal],
        timeout_s=90,
    )

    assert deps.runs.get_run(started["run_id"]).status == RunStatus.DELIVERED
    assert len(chained) == 1
    run = chained[0]
    assert run.status == RunStatus.DELIVERED, run.error
    assert run.trigger == TriggerKind.EVENT
    assert run.input["output"] == "Widget: 17.49 EUR"
    assert run.input["source"]["run_id"] == started["run_id"]
    assert run.output == "Noted: 17.49 EUR"
    loop = {"type": "event", "source_agent": follower_id}
    document = {"agent": {"name": source_name, "system_prompt": "x", "trigger": loop}}
    refused = client.put(f"/v1/agents/{source_id}", json=document)
    assert refused.status_code == 422 and refused.json()["code"] == "trigger_loop"
