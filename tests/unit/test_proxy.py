"""The integration proxy end to end on the twins: credentials API, OAuth refresh, the canary
(planted secrets appear nowhere but Secret Manager and the target), and a hijacked model.

The targets are loopback servers (the local stack's allow-list, ``127.0.0.0/8``); the pipeline
runs through :class:`PipelineDriver` as in ``test_pipeline.py``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from emulators.http_receiver import HttpReceiver, ReceivedRequest, serve
from shared.adapters.in_memory_audit_log import InMemoryAuditLog
from shared.adapters.scripted_model_client import ScriptedModelClient
from shared.composition import Dependencies, utc_now
from shared.domain.model_io import ModelRequest, ModelResponse, ToolDeclaration
from shared.domain.runs import RunStatus
from shared.domain.steps import FunctionCall, ToolCallStatus
from tests.unit.api_harness import ApiHarness, in_memory_dependencies, make_harness
from tests.unit.pipeline_driver import PipelineDriver


def _echo(request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
    # The worst target: it echoes every header, the injected credential included.
    body = {"path": request.path, "headers": request.headers}
    return 200, {"content-type": "application/json"}, json.dumps(body).encode()


@dataclasses.dataclass
class Targets:
    api: HttpReceiver
    tokens: HttpReceiver
    fresh_token: str


@pytest.fixture
def targets() -> Iterator[Targets]:
    fresh = f"canary-fresh-{uuid.uuid4().hex}"

    def token(_request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
        answer = {"access_token": fresh, "expires_in": 3600, "token_type": "Bearer"}
        return 200, {"content-type": "application/json"}, json.dumps(answer).encode()

    found = Targets(HttpReceiver(responder=_echo), HttpReceiver(responder=token), fresh)
    with ExitStack() as stack:
        stack.enter_context(serve(found.api))
        stack.enter_context(serve(found.tokens))
        yield found


@pytest.fixture
def api() -> ApiHarness:
    base = in_memory_dependencies()
    settings = base.settings.model_copy(update={"egress_allowed_networks": ("127.0.0.0/8",)})
    return make_harness(dataclasses.replace(base, settings=settings, clock=utc_now))


def _store(api: ApiHarness, body: dict[str, Any], responses: list[Any]) -> str:
    response = api.client.post("/v1/credentials", json=body, headers=api.auth())
    assert response.status_code == 201, response.get_json()
    responses.append(response.get_data(as_text=True))
    return str(response.get_json()["credential"]["credential_id"])


def _agent(api: ApiHarness, credentials: list[str], host: str = "127.0.0.1") -> str:
    spec = f"""
agent:
  name: integrator
  system_prompt: Use the API.
  tools:
    - {{name: http_request, config: {{credentials: {json.dumps(credentials)}, timeout_s: 5}}}}
    - {{name: http_fetch, config: {{allowed_domains: [{host}], timeout_s: 5}}}}
  limits: {{max_steps: 6, timeout_s: 60}}
"""
    response = api.client.post(
        "/v1/agents", data=spec, content_type="application/yaml", headers=api.auth()
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["agent"]["agent_id"])


def _grant(api: ApiHarness, credential: str, agent: str, **grant: Any) -> None:
    body = {"agent_id": agent, "hosts": ["127.0.0.1"], "methods": ["GET", "POST"], **grant}
    response = api.client.post(
        f"/v1/credentials/{credential}/grants", json=body, headers=api.auth()
    )
    assert response.status_code == 200, response.get_json()


def _calls(*calls: tuple[str, dict[str, Any]]) -> ModelResponse:
    return ModelResponse(
        function_calls=tuple(
            FunctionCall(call_index=i, name=name, args=args) for i, (name, args) in enumerate(calls)
        ),
        prompt_tokens=10,
        completion_tokens=5,
    )


def _answer(text: str) -> ModelResponse:
    return ModelResponse(text=text, finish_reason="STOP", prompt_tokens=20, completion_tokens=7)


class HijackedModel(ScriptedModelClient):
    """A scripted model that also calls tools its request does not declare."""

    def generate(self, request: ModelRequest) -> ModelResponse:
        shell = ToolDeclaration(name="shell", description="", parameters={"type": "object"})
        return super().generate(request.model_copy(update={"tools": (*request.tools, shell)}))


def _run(
    api: ApiHarness,
    agent: str,
    turns: list[Any],
    model: type[ScriptedModelClient] = ScriptedModelClient,
) -> tuple[Dependencies, str]:
    deps = dataclasses.replace(api.deps, model=model(turns))
    run_id = api.start_run(agent, {"task": "sync"})
    PipelineDriver(deps).run_until_quiet()
    return deps, run_id


# --- the credentials API -------------------------------------------------------------------


def test_credentials_are_stored_listed_granted_and_revoked_without_their_values(
    api: ApiHarness,
) -> None:
    secret = f"canary-key-{uuid.uuid4().hex}"
    responses: list[Any] = []
    credential = _store(api, {"name": "crm", "type": "api_key", "value": secret}, responses)
    agent = _agent(api, [credential])
    _grant(api, credential, agent, paths=["/v1/*"])

    listed = api.client.get("/v1/credentials", headers=api.auth())
    one = api.client.get(f"/v1/credentials/{credential}", headers=api.auth())
    revoked = api.client.delete(f"/v1/credentials/{credential}", headers=api.auth())
    responses += [r.get_data(as_text=True) for r in (listed, one, revoked)]

    assert [c["credential_id"] for c in listed.get_json()["items"]] == [credential]
    assert one.get_json()["credential"]["grants"][0]["paths"] == ["/v1/*"]
    assert revoked.get_json()["credential"]["revoked_at"]
    assert all(secret not in text for text in responses)
    assert (
        api.client.get(f"/v1/credentials/{credential}", headers=api.auth(api.other_key)).status_code
        == 404
    )
    # The newest secret version no longer holds the value.
    assert secret not in api.deps.secrets.access(f"credential-{credential}").decode()


def test_a_credential_needs_its_values_and_a_grant_needs_an_agent_of_the_organisation(
    api: ApiHarness,
) -> None:
    missing = api.client.post(
        "/v1/credentials", json={"name": "x", "type": "bearer"}, headers=api.auth()
    )
    credential = _store(api, {"name": "t", "type": "bearer", "value": "token-12345678"}, [])
    other_agent = api.create_agent("elsewhere", key=api.other_key)
    foreign = api.client.post(
        f"/v1/credentials/{credential}/grants",
        json={"agent_id": other_agent, "hosts": ["x.example"]},
        headers=api.auth(),
    )

    assert missing.status_code == 422
    assert foreign.status_code == 404


# --- OAuth 2.0 refresh ---------------------------------------------------------------------


def test_an_expiring_oauth_token_is_refreshed_at_the_token_endpoint(
    api: ApiHarness, targets: Targets
) -> None:
    refresh, client_secret = (
        f"canary-refresh-{uuid.uuid4().hex}",
        f"canary-client-{uuid.uuid4().hex}",
    )
    body = {
        "name": "crm", "type": "oauth2", "access_token": f"canary-stale-{uuid.uuid4().hex}",
        "refresh_token": refresh, "client_id": "switchyard", "client_secret": client_secret,
        "token_url": f"{targets.tokens.url}/token",
        "expires_at": (utc_now() + timedelta(seconds=30)).isoformat(),
    }  # fmt: skip
    credential = _store(api, body, [])
    agent = _agent(api, [credential])
    _grant(api, credential, agent)
    call = (
        "http_request",
        {"method": "GET", "url": f"{targets.api.url}/me", "credential": credential},
    )

    _deps, run_id = _run(api, agent, [_calls(call), _answer("done")])

    assert api.deps.runs.get_run(run_id).status == RunStatus.DELIVERED
    form = parse_qs(targets.tokens.requests[0].body.decode())
    assert form == {"grant_type": ["refresh_token"], "refresh_token": [refresh],
                    "client_id": ["switchyard"], "client_secret": [client_secret]}  # fmt: skip
    assert targets.api.requests[0].headers["authorization"] == f"Bearer {targets.fresh_token}"
    stored = json.loads(api.deps.secrets.access(f"credential-{credential}"))
    assert stored["access_token"] == targets.fresh_token and stored["refresh_token"] == refresh
    expires_at = api.deps.credentials.get(credential).expires_at
    assert expires_at is not None and expires_at > utc_now() + timedelta(minutes=50)


def test_a_revoked_credential_is_refused_on_the_next_call(
    api: ApiHarness, targets: Targets
) -> None:
    credential = _store(api, {"name": "k", "type": "bearer", "value": "token-abcdefgh"}, [])
    agent = _agent(api, [credential])
    _grant(api, credential, agent)
    api.client.delete(f"/v1/credentials/{credential}", headers=api.auth())
    call = (
        "http_request",
        {"method": "GET", "url": f"{targets.api.url}/me", "credential": credential},
    )

    _run(api, agent, [_calls(call), _answer("done")])

    assert targets.api.requests == []
    audit = api.deps.audit
    assert isinstance(audit, InMemoryAuditLog)
    assert [(e.result, e.error_code) for e in audit.entries()] == [
        ("refused", "credential_revoked")
    ]


# --- the canary ----------------------------------------------------------------------------


def _everything_but_the_vault(deps: Dependencies) -> str:
    stores = [deps.runs, deps.agents, deps.identities, deps.publisher, deps.tasks, deps.blobs,
              deps.triggers, deps.idempotency, deps.credentials, deps.audit, deps.eval_results,
              deps.model]  # fmt: skip
    return "\n".join(repr(vars(store)) for store in stores)


def test_canary_planted_secrets_reach_the_target_and_nothing_else(
    api: ApiHarness, targets: Targets, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    planted = {
        "api_key": f"canary-apikey-{uuid.uuid4().hex}",
        "bearer": f"canary-bearer-{uuid.uuid4().hex}",
        "stale": f"canary-stale-{uuid.uuid4().hex}",
        "refresh": f"canary-refresh-{uuid.uuid4().hex}",
        "client": f"canary-client-{uuid.uuid4().hex}",
        "fresh": targets.fresh_token,
    }
    responses: list[Any] = []
    key = _store(api, {"name": "k", "type": "api_key", "value": planted["api_key"],
                       "header": "X-Service-Key"}, responses)  # fmt: skip
    bearer = _store(api, {"name": "b", "type": "bearer", "value": planted["bearer"]}, responses)
    oauth = _store(api, {
        "name": "o", "type": "oauth2", "access_token": planted["stale"],
        "refresh_token": planted["refresh"], "client_id": "c", "client_secret": planted["client"],
        "token_url": f"{targets.tokens.url}/token", "expires_at": utc_now().isoformat(),
    }, responses)  # fmt: skip
    agent = _agent(api, [key, bearer, oauth])
    for credential in (key, bearer, oauth):
        _grant(api, credential, agent)
    url = f"{targets.api.url}/v1/echo?who=agent"
    turns = [
        _calls(
            ("http_request", {"method": "GET", "url": url, "credential": key}),
            (
                "http_request",
                {"method": "POST", "url": url, "credential": bearer, "json": {"a": 1}},
            ),
            ("http_request", {"method": "GET", "url": url, "credential": oauth}),
        ),
        _answer("synced"),
    ]

    deps, run_id = _run(api, agent, turns)

    run = api.deps.runs.get_run(run_id)
    assert run.status == RunStatus.DELIVERED, run.error
    # The values were injected: the target saw each one.
    seen = [r.headers for r in targets.api.requests]
    assert {"x-service-key": planted["api_key"]}.items() <= seen[0].items()
    assert seen[1]["authorization"] == f"Bearer {planted['bearer']}"
    assert seen[2]["authorization"] == f"Bearer {planted['fresh']}"
    results = api.deps.runs.list_tool_results(run_id)
    assert [r.status for r in results] == [ToolCallStatus.SUCCEEDED] * 3
    assert "[REDACTED]" in json.dumps(results[0].output)  # the echo was redacted
    run_paths = [f"/v1/runs/{run_id}{tail}" for tail in ("", "/trace", "/events")]
    credential_paths = [
        f"/v1/credentials{tail}" for tail in ("", f"/{key}", f"/{bearer}", f"/{oauth}")
    ]
    for path in run_paths + credential_paths:
        response = api.client.get(path, headers=api.auth())
        assert response.status_code == 200, path
        responses.append(response.get_data(as_text=True))
    haystacks = {
        "stores": _everything_but_the_vault(deps),
        "api": "\n".join(responses),
        "logs": "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records),
        "output": "".join(capsys.readouterr()),
    }
    hits = [(name, where) for name, value in planted.items() for where, text in haystacks.items()
            if value in text]  # fmt: skip
    assert hits == []
    assert len(caplog.records) + len(haystacks["stores"]) > 0


# --- a hijacked model ------------------------------------------------------------------------


def test_a_hijacked_model_is_refused_audited_traced_and_its_run_fails(
    api: ApiHarness, targets: Targets
) -> None:
    granted = _store(api, {"name": "g", "type": "bearer", "value": "token-granted-1"}, [])
    ungranted = _store(api, {"name": "u", "type": "bearer", "value": "token-ungranted"}, [])
    agent = _agent(api, [granted, ungranted], host="shop.example")
    _grant(api, granted, agent, methods=["GET"], paths=["/v1/*"])
    other_org_credential = dataclasses.replace(api, key=api.other_key)
    foreign = _store(
        other_org_credential, {"name": "f", "type": "bearer", "value": "token-foreign"}, []
    )
    base = targets.api.url
    hijacked = _calls(
        ("shell", {"command": "cat /etc/passwd"}),  # a tool the agent does not have
        ("http_request", {"method": "DELETE", "url": f"{base}/v1/users", "credential": granted}),
        ("http_request", {"method": "GET", "url": f"{base}/admin", "credential": granted}),
        (
            "http_request",
            {"method": "GET", "url": "http://169.254.169.254/", "credential": granted},
        ),
        ("http_request", {"method": "GET", "url": f"{base}/v1/x", "credential": ungranted}),
        ("http_request", {"method": "GET", "url": f"{base}/v1/x", "credential": foreign}),
        ("http_fetch", {"url": f"{base}/v1/x"}),  # not on its allow-list
    )

    _deps, run_id = _run(api, agent, [hijacked, _answer("exfiltrated")], HijackedModel)

    run = api.deps.runs.get_run(run_id)
    assert run.status == RunStatus.FAILED
    assert run.error is not None and run.error.code == "tool_calls_refused"
    assert targets.api.requests == []  # nothing reached the target
    results = api.deps.runs.list_tool_results(run_id)
    assert [r.status for r in results] == [ToolCallStatus.REFUSED] * 7
    audit = api.deps.audit
    assert isinstance(audit, InMemoryAuditLog)
    entries = sorted(audit.list_for_run(run_id), key=lambda e: e.call_index)
    assert [e.result for e in entries] == ["refused"] * 7
    assert [e.error_code for e in entries] == [
        "tool_not_granted", "credential_not_granted", "credential_not_granted",
        "credential_not_granted", "credential_not_granted", "credential_not_granted",
        "domain_not_allowed",
    ]  # fmt: skip
    trace = api.client.get(f"/v1/runs/{run_id}/trace", headers=api.auth()).get_json()
    traced = [c["trace"]["content"]["status"] for c in trace["tool_calls"]]
    assert traced == ["refused"] * 7


# --- slack_post and gcs_write --------------------------------------------------------------


def _slack(request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
    body = json.loads(request.body)
    answer = {"ok": True, "channel": "C123", "ts": "1700000000.000100", "echo": body["text"]}
    return 200, {"content-type": "application/json"}, json.dumps(answer).encode()


def test_slack_post_and_gcs_write_go_through_the_proxy(api: ApiHarness) -> None:
    slack = HttpReceiver(responder=_slack)
    with serve(slack):
        settings = api.deps.settings.model_copy(update={"slack_api_base_url": f"{slack.url}/api"})
        api.deps = dataclasses.replace(api.deps, settings=settings)
        token = f"xoxb-canary-{uuid.uuid4().hex}"
        bot = _store(api, {"name": "bot", "type": "bearer", "value": token}, [])
        spec = f"""
agent:
  name: reporter
  system_prompt: Report.
  tools:
    - {{name: slack_post, config: {{channel: "#alerts", credential: {bot}}}}}
    - {{name: gcs_write, config: {{max_bytes: 100}}}}
  permissions: {{slack: ["write:channels:#alerts"]}}
  limits: {{max_steps: 4, timeout_s: 60}}
"""
        response = api.client.post(
            "/v1/agents", data=spec, content_type="application/yaml", headers=api.auth()
        )
        agent = str(response.get_json()["agent"]["agent_id"])
        _grant(api, bot, agent, methods=["POST"], paths=["/api/chat.postMessage"])
        turn = _calls(
            ("slack_post", {"text": "prices are down"}),
            ("gcs_write", {"name": "reports/today.md", "content": "# Today"}),
            ("gcs_write", {"name": "../../other-agent/x.md", "content": "escape"}),
        )

        _deps, run_id = _run(api, agent, [turn, _answer("posted")])

    assert slack.requests[0].headers["authorization"] == f"Bearer {token}"
    assert json.loads(slack.requests[0].body) == {"channel": "#alerts", "text": "prices are down"}
    results = {r.call_index: r for r in api.deps.runs.list_tool_results(run_id)}
    assert results[0].output == {"ok": True, "channel": "C123", "ts": "1700000000.000100"}
    uri = str(results[1].output["uri"])
    assert uri.endswith(f"/{api.org_id}/{agent}/artifacts/reports/today.md")
    assert api.deps.blobs.get(uri) == b"# Today"
    assert results[2].status == ToolCallStatus.REFUSED
    audit = api.deps.audit
    assert isinstance(audit, InMemoryAuditLog)
    assert [e.result for e in sorted(audit.list_for_run(run_id), key=lambda e: e.call_index)] == [
        "succeeded", "succeeded", "refused",
    ]  # fmt: skip


def test_slack_post_needs_the_specs_permission(api: ApiHarness) -> None:
    bot = _store(api, {"name": "bot", "type": "bearer", "value": "xoxb-12345678"}, [])
    spec = f"""
agent:
  name: reporter
  system_prompt: Report.
  tools: [{{name: slack_post, config: {{channel: "#general", credential: {bot}}}}}]
  permissions: {{slack: ["write:channels:#alerts"]}}
"""
    response = api.client.post(
        "/v1/agents", data=spec, content_type="application/yaml", headers=api.auth()
    )
    agent = str(response.get_json()["agent"]["agent_id"])

    _deps, run_id = _run(api, agent, [_calls(("slack_post", {"text": "hi"})), _answer("ok")])

    [result] = api.deps.runs.list_tool_results(run_id)
    assert result.status == ToolCallStatus.REFUSED
    assert result.error == "the spec does not grant write:channels:#general"


# --- user-defined HTTP tools -------------------------------------------------------------


def test_a_user_defined_http_tool_validates_its_input_and_calls_through_the_proxy(
    api: ApiHarness, targets: Targets
) -> None:
    token = f"canary-tickets-{uuid.uuid4().hex}"
    credential = _store(api, {"name": "tickets", "type": "bearer", "value": token}, [])
    spec = f"""
agent:
  name: ticketer
  system_prompt: File tickets.
  http_tools:
    - name: create_ticket
      description: Open a ticket in a project.
      method: POST
      url: "{targets.api.url}/projects/{{project}}/tickets"
      credential: {credential}
      input_schema:
        type: object
        properties:
          project: {{type: string}}
          title: {{type: string, maxLength: 20}}
        required: [project, title]
        additionalProperties: false
  limits: {{max_steps: 4, timeout_s: 60}}
"""
    response = api.client.post(
        "/v1/agents", data=spec, content_type="application/yaml", headers=api.auth()
    )
    assert response.status_code == 201, response.get_json()
    agent = str(response.get_json()["agent"]["agent_id"])
    _grant(api, credential, agent, methods=["POST"], paths=["/projects/*/tickets"])
    turn = _calls(
        ("create_ticket", {"project": "web/app", "title": "Prices are stale"}),
        ("create_ticket", {"project": "web", "title": "x" * 50}),
        ("create_ticket", {"project": "web", "title": "t", "url": "http://169.254.169.254/"}),
    )

    deps, run_id = _run(api, agent, [turn, _answer("filed")])

    assert isinstance(deps.model, ScriptedModelClient)
    declared = {t.name: t.parameters for t in deps.model.requests[0].tools}
    assert declared["create_ticket"]["required"] == ["project", "title"]  # the model sees it
    [request] = targets.api.requests  # only the valid call was made
    assert request.path == "/projects/web%2Fapp/tickets"
    assert json.loads(request.body) == {"title": "Prices are stale"}
    assert request.headers["authorization"] == f"Bearer {token}"
    results = {r.call_index: r for r in api.deps.runs.list_tool_results(run_id)}
    assert results[0].status == ToolCallStatus.SUCCEEDED
    assert token not in json.dumps(results[0].output)
    assert results[1].status == results[2].status == ToolCallStatus.FAILED
    assert results[1].error is not None and "title" in results[1].error


@pytest.mark.parametrize(
    ("tool", "problem"),
    [
        ('{name: t, description: d, url: "https://{host}/x"}', "host cannot hold placeholders"),
        (
            "{name: t, description: d, url: https://a.example, input_schema: {type: 3}}",
            "JSON Schema",
        ),
        ("{name: http_fetch, description: d, url: https://a.example}", "built-in tool names"),
        (
            "{name: t, description: d, url: https://a.example, input_schema: {type: string}}",
            "object",
        ),
    ],
)
def test_http_tools_with_a_templated_host_or_a_bad_schema_are_refused(
    api: ApiHarness, tool: str, problem: str
) -> None:
    spec = f"agent: {{name: bad, system_prompt: x, http_tools: [{tool}]}}"
    response = api.client.post(
        "/v1/agents", data=spec, content_type="application/yaml", headers=api.auth()
    )

    assert response.status_code == 422
    assert problem in json.dumps(response.get_json())


@pytest.mark.parametrize("header", ["Host", "Idempotency-Key", "X Bad", ""])
def test_a_credential_cannot_be_injected_as_a_header_that_steers_the_request(
    api: ApiHarness, header: str
) -> None:
    body = {"name": "k", "type": "api_key", "value": "key-12345678", "header": header}

    response = api.client.post("/v1/credentials", json=body, headers=api.auth())

    assert response.status_code == 422
