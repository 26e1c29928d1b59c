"""The canary on the local stack: credentials stored through the API, used by an agent through
the executor's integration proxy, and found nowhere but in Secret Manager and at the target.

Searched: every API answer, the run's Firestore documents (run, steps, tool results, events,
audit entries, credential metadata), every trace object, and the stack's service logs.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulators.http_receiver import HttpReceiver, ReceivedRequest, serve
from emulators.vertex.admin_client import register_script
from emulators.vertex.script import Script
from shared.composition import Dependencies
from shared.settings import Settings
from tests.e2e.conftest import Tenant


def _echo(request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
    body = {"path": request.path, "headers": request.headers}
    return 200, {"content-type": "application/json"}, json.dumps(body).encode()


@pytest.fixture
def receivers() -> Iterator[tuple[HttpReceiver, HttpReceiver, str]]:
    fresh = f"canary-fresh-{uuid.uuid4().hex}"

    def token(_request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
        answer = {"access_token": fresh, "expires_in": 3600}
        return 200, {"content-type": "application/json"}, json.dumps(answer).encode()

    api, tokens = HttpReceiver(responder=_echo), HttpReceiver(responder=token)
    with ExitStack() as stack:
        stack.enter_context(serve(api))
        stack.enter_context(serve(tokens))
        yield api, tokens, fresh


def _post(stack: Settings, tenant: Tenant, path: str, body: dict[str, Any]) -> httpx.Response:
    assert stack.api_url
    headers = {"Authorization": f"Bearer {tenant.api.api_key}"}
    response = httpx.post(f"{stack.api_url}{path}", json=body, headers=headers, timeout=30)
    assert response.status_code in (200, 201), response.text
    return response


def test_canary_secrets_appear_nowhere_but_at_the_target(
    stack: Settings,
    deps: Dependencies,
    tenant: Tenant,
    receivers: tuple[HttpReceiver, HttpReceiver, str],
) -> None:
    target, tokens, fresh = receivers
    planted = {
        "api_key": f"canary-apikey-{uuid.uuid4().hex}",
        "stale": f"canary-stale-{uuid.uuid4().hex}",
        "refresh": f"canary-refresh-{uuid.uuid4().hex}",
        "client": f"canary-client-{uuid.uuid4().hex}",
        "fresh": fresh,
    }
    answers: list[str] = []
    key = _post(stack, tenant, "/v1/credentials", {
        "name": "crm", "type": "api_key", "value": planted["api_key"], "header": "X-Crm-Key",
    })  # fmt: skip
    oauth = _post(stack, tenant, "/v1/credentials", {
        "name": "chat", "type": "oauth2", "access_token": planted["stale"],
        "refresh_token": planted["refresh"], "client_id": "switchyard",
        "client_secret": planted["client"], "token_url": f"{tokens.url}/token",
        "expires_at": datetime.now(UTC).isoformat(),
    })  # fmt: skip
    answers += [key.text, oauth.text]
    ids = [r.json()["credential"]["credential_id"] for r in (key, oauth)]
    name = f"canary-{uuid.uuid4().hex[:8]}"
    spec = f"""
agent:
  name: {name}
  system_prompt: Sync the CRM.
  tools: [{{name: http_request, config: {{credentials: {json.dumps(ids)}, timeout_s: 5}}}}]
  limits: {{max_steps: 4, timeout_s: 90}}
"""
    agent_id = tenant.api.create_agent(spec)["agent"]["agent_id"]
    for credential in ids:
        answers.append(_post(stack, tenant, f"/v1/credentials/{credential}/grants", {
            "agent_id": agent_id, "hosts": ["127.0.0.1"], "methods": ["GET"], "paths": ["/crm/*"],
        }).text)  # fmt: skip
    assert stack.vertex_base_url
    register_script(stack.vertex_base_url, Script.model_validate({
        "script": name, "match": {"switchyard-agent": name},
        "turns": [
            {"function_calls": [
                {"name": "http_request", "args": {
                    "method": "GET", "url": f"{target.url}/crm/{i}", "credential": credential}}
                for i, credential in enumerate(ids)
            ]},
            {"text": "CRM synced."},
        ],
    }))  # fmt: skip

    run = tenant.api.start_run(agent_id, {"task": "sync"})
    events = [event for event, _data in tenant.api.events(run["run_id"], timeout_s=90)]

    run_id = run["run_id"]
    final = tenant.api.get(f"/v1/runs/{run_id}")
    assert final["status"] == "delivered", (final, events)
    seen = {r.path: r.headers for r in target.requests}
    assert seen["/crm/0"]["x-crm-key"] == planted["api_key"]
    assert seen["/crm/1"]["authorization"] == f"Bearer {fresh}"
    trace = tenant.api.get(f"/v1/runs/{run_id}/trace")
    answers += [json.dumps(final), json.dumps(trace), json.dumps(tenant.api.get("/v1/credentials"))]
    stored = [
        deps.runs.get_run(run_id),
        *deps.runs.list_steps(run_id),
        *deps.runs.list_tool_results(run_id),
        *deps.runs.list_events(run_id, limit=1000),
        *deps.audit.list_for_run(run_id),
        *(deps.credentials.get(c) for c in ids),
    ]
    documents = [record.model_dump_json() for record in stored]
    uris = [r.trace_uri for r in deps.runs.list_steps(run_id)]
    uris += [r.trace_uri for r in deps.runs.list_tool_results(run_id)]
    traces = [deps.blobs.get(uri).decode() for uri in uris if uri]
    assert len(traces) == 4 and len(deps.audit.list_for_run(run_id)) == 2
    logs = [
        path.read_text(errors="replace")
        for path in Path(tempfile.gettempdir()).glob("switchyard-stack-*/logs/*.log")
    ]
    assert any(run_id in text for text in logs), "the stack's service logs were not found"
    haystacks = {"api": answers, "firestore": documents, "traces": traces, "logs": logs}
    hits = [(secret, where) for secret, value in planted.items()
            for where, texts in haystacks.items() if any(value in t for t in texts)]  # fmt: skip
    assert hits == []
