"""The audit log of changes: what each change through the API records, and who may read it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from shared.adapters.in_memory_audit_event_store import InMemoryAuditEventStore
from shared.domain.audit_events import AuditEvent
from shared.errors import TransientError
from tests.unit.api_harness import (
    ApiHarness,
    assert_problem,
    in_memory_dependencies,
    make_harness,
    spec_document,
)


@pytest.fixture
def api() -> ApiHarness:
    return make_harness()


def _events(api: ApiHarness, key: str | None = None, **query: str) -> list[dict[str, Any]]:
    response = api.client.get("/v1/audit-events", query_string=query, headers=api.auth(key))
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["items"])


def _actor(api: ApiHarness) -> str:
    return f"api_key:{api.key.split('_')[2]}"


def test_agent_changes_are_recorded_newest_first_with_their_details(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    api.client.put(f"/v1/agents/{agent_id}", json=spec_document(prompt="v2"), headers=api.auth())
    environments = f"/v1/agents/{agent_id}/environments/prod"
    api.client.post(f"{environments}/promote", json={"version": 2}, headers=api.auth())
    api.client.post(f"{environments}/rollback", json={"version": 1}, headers=api.auth())
    api.client.post(f"/v1/agents/{agent_id}/deactivate", headers=api.auth())
    api.client.post(f"/v1/agents/{agent_id}/activate", headers=api.auth())

    events = _events(api)

    assert [e["action"] for e in events] == [
        "agent.activated",
        "agent.deactivated",
        "agent.environment_rolled_back",
        "agent.environment_promoted",
        "agent.version_created",
        "agent.created",
    ]
    assert {(e["resource_type"], e["resource_id"], e["actor"]) for e in events} == {
        ("agent", agent_id, _actor(api))
    }
    assert events[2]["details"] == {"environment": "prod", "from_version": 2, "to_version": 1}
    assert events[3]["details"] == {"environment": "prod", "from_version": 1, "to_version": 2}
    assert events[4]["details"] == {"version": 2, "environment": "dev"}
    assert events[5]["details"] == {"name": "price-monitor", "version": 1}


def test_key_changes_and_runs_are_recorded_without_secrets(api: ApiHarness) -> None:
    created = api.client.post(
        "/v1/keys", json={"name": "ci", "scopes": ["runs:write"]}, headers=api.auth()
    ).get_json()
    key_id = created["api_key"]["key_id"]
    rotated = api.client.post(f"/v1/keys/{key_id}/rotate", json={}, headers=api.auth())
    successor = rotated.get_json()["api_key"]["key_id"]
    api.client.post(f"/v1/keys/{successor}/revoke", headers=api.auth())
    agent_id = api.create_agent()
    run_id = api.start_run(agent_id)

    events = _events(api)
    keys = _events(api, resource_type="api_key")

    assert [(e["action"], e["resource_id"]) for e in keys] == [
        ("api_key.revoked", successor),
        ("api_key.rotated", key_id),
        ("api_key.created", key_id),
    ]
    assert keys[2]["details"] == {"name": "ci", "scopes": ["runs:write"], "mode": "live"}
    assert keys[1]["details"] == {"successor_key_id": successor, "grace_period_s": 86400}
    assert (events[0]["action"], events[0]["resource_id"]) == ("run.requested", run_id)
    assert events[0]["details"] == {"agent_id": agent_id, "environment": "prod"}
    assert created["key"] not in str(events)
    assert rotated.get_json()["key"] not in str(events)


def test_failed_requests_reads_and_unchanged_promotions_are_not_recorded(
    api: ApiHarness,
) -> None:
    agent_id = api.create_agent()
    api.client.get(f"/v1/agents/{agent_id}", headers=api.auth())
    api.client.post("/v1/agents", json=spec_document(), headers=api.auth())  # 409: name taken
    same = api.client.post(
        f"/v1/agents/{agent_id}/environments/prod/promote", json={"version": 1}, headers=api.auth()
    )

    assert same.status_code == 200
    assert [e["action"] for e in _events(api)] == ["agent.created"]


def test_events_filter_by_resource_and_page(api: ApiHarness) -> None:
    first, second = api.create_agent("first"), api.create_agent("second")
    for agent_id in (first, second, first):
        api.client.post(f"/v1/agents/{agent_id}/deactivate", headers=api.auth())
        api.client.post(f"/v1/agents/{agent_id}/activate", headers=api.auth())

    only_first = _events(api, resource_type="agent", resource_id=first)
    page = api.client.get("/v1/audit-events?page_size=4", headers=api.auth()).get_json()
    rest = api.client.get(
        "/v1/audit-events", query_string={"page_token": page["next_page_token"]}, headers=api.auth()
    ).get_json()

    assert len(only_first) == 5 and {e["resource_id"] for e in only_first} == {first}
    assert len(page["items"]) == 4 and len(rest["items"]) == 4
    assert rest["next_page_token"] is None
    assert {e["event_id"] for e in page["items"]}.isdisjoint(e["event_id"] for e in rest["items"])
    missing_type = api.client.get("/v1/audit-events?resource_id=x", headers=api.auth())
    assert_problem(missing_type, 422, "resource_type_required")


def test_organisations_see_only_their_own_events(api: ApiHarness) -> None:
    api.create_agent()
    other_agent = api.create_agent(key=api.other_key)

    mine, theirs = _events(api), _events(api, api.other_key)

    assert [e["org_id"] for e in mine] == [api.org_id]
    assert [(e["org_id"], e["resource_id"]) for e in theirs] == [(api.other_org_id, other_agent)]


def test_reading_the_audit_log_needs_admin(api: ApiHarness) -> None:
    reader = api.client.post(
        "/v1/keys", json={"name": "r", "scopes": ["agents:read", "runs:read"]}, headers=api.auth()
    ).get_json()["key"]

    response = api.client.get("/v1/audit-events", headers=api.auth(reader))

    assert_problem(response, 403, "insufficient_scope")


class UnavailableAuditEvents(InMemoryAuditEventStore):
    def record(self, event: AuditEvent) -> None:
        raise TransientError("firestore_unavailable", "Firestore did not answer")


def test_a_change_stands_when_its_audit_event_cannot_be_stored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    deps = dataclasses.replace(in_memory_dependencies(), audit_events=UnavailableAuditEvents())
    api = make_harness(deps)

    agent_id = api.create_agent()

    assert api.client.get(f"/v1/agents/{agent_id}", headers=api.auth()).status_code == 200
    [logged] = [r for r in caplog.records if "audit event not stored" in r.getMessage()]
    assert logged.levelname == "ERROR" and agent_id in logged.getMessage()


def test_credential_changes_are_recorded_without_their_values(api: ApiHarness) -> None:
    secret = "crm-secret-value-12345"
    created = api.client.post(
        "/v1/credentials",
        json={"name": "crm", "type": "api_key", "value": secret},
        headers=api.auth(),
    )
    credential_id = created.get_json()["credential"]["credential_id"]
    agent_id = api.create_agent()
    grant = {"agent_id": agent_id, "hosts": ["api.example.com"], "methods": ["GET"]}
    api.client.post(f"/v1/credentials/{credential_id}/grants", json=grant, headers=api.auth())
    api.client.delete(f"/v1/credentials/{credential_id}", headers=api.auth())

    events = _events(api, resource_type="credential", resource_id=credential_id)

    assert [e["action"] for e in events] == [
        "credential.revoked",
        "credential.granted",
        "credential.created",
    ]
    assert secret not in str(_events(api))
