"""AuditEventStore contract: one suite, run against the in-memory twin and Firestore (emulator)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.firestore_audit_event_store import FirestoreAuditEventStore
from shared.adapters.in_memory_audit_event_store import InMemoryAuditEventStore
from shared.domain.audit_events import AuditEvent
from shared.errors import ConflictError, ValidationError
from shared.ports.audit_event_store import AuditEventStore

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "firestore"])
def store(request: pytest.FixtureRequest) -> AuditEventStore:
    if request.param == "memory":
        return InMemoryAuditEventStore()
    return FirestoreAuditEventStore(request.getfixturevalue("firestore_client"))


def _event(
    org_id: str,
    *,
    minutes: int = 0,
    resource_type: str = "agent",
    resource_id: str = "a1",
    event_id: str | None = None,
) -> AuditEvent:
    return AuditEvent(
        event_id=event_id or uuid.uuid4().hex,
        org_id=org_id,
        actor="api_key:k1",
        action=f"{resource_type}.changed",
        resource_type=resource_type,
        resource_id=resource_id,
        details={"environment": "prod", "from_version": 1, "to_version": 2},
        at=NOW + timedelta(minutes=minutes),
    )


def test_events_are_listed_newest_first_in_pages(store: AuditEventStore, namespace: str) -> None:
    org_id = f"org-{namespace}"
    events = [_event(org_id, minutes=minute) for minute in range(5)]
    for event in events:
        store.record(event)
    store.record(_event(f"{org_id}-other", minutes=10))

    pages, token = [], None
    while True:
        page = store.list_events(org_id, page_size=2, page_token=token)
        pages.append(list(page.items))
        token = page.next_page_token
        if token is None:
            break

    assert pages == [events[4:2:-1], events[2:0:-1], events[0:1]]
    assert pages[0][0].details == {"environment": "prod", "from_version": 1, "to_version": 2}


def test_events_at_the_same_instant_page_by_id(store: AuditEventStore, namespace: str) -> None:
    org_id = f"org-{namespace}"
    ids = [f"{namespace}-{n}" for n in range(3)]
    for event_id in ids:
        store.record(_event(org_id, event_id=event_id))

    first = store.list_events(org_id, page_size=2)
    second = store.list_events(org_id, page_size=2, page_token=first.next_page_token)

    assert [e.event_id for e in (*first.items, *second.items)] == sorted(ids, reverse=True)
    assert second.next_page_token is None


def test_events_are_filtered_by_resource(store: AuditEventStore, namespace: str) -> None:
    org_id = f"org-{namespace}"
    store.record(_event(org_id, resource_type="agent", resource_id="a1", minutes=1))
    store.record(_event(org_id, resource_type="agent", resource_id="a2", minutes=2))
    store.record(_event(org_id, resource_type="api_key", resource_id="a1", minutes=3))

    agents = store.list_events(org_id, resource_type="agent")
    one = store.list_events(org_id, resource_type="agent", resource_id="a1")

    assert [e.resource_id for e in agents.items] == ["a2", "a1"]
    assert [(e.resource_type, e.resource_id) for e in one.items] == [("agent", "a1")]
    with pytest.raises(ValidationError) as caught:
        store.list_events(org_id, resource_id="a1")
    assert caught.value.code == "resource_type_required"


def test_an_event_is_stored_once(store: AuditEventStore, namespace: str) -> None:
    event = _event(f"org-{namespace}")
    store.record(event)

    with pytest.raises(ConflictError) as caught:
        store.record(event)

    assert caught.value.code == "audit_event_exists"
    assert store.list_events(event.org_id).items == (event,)


@pytest.mark.parametrize("token", ["garbage", "WyJydW5zIl0="])
def test_a_page_token_the_store_did_not_issue_is_refused(
    store: AuditEventStore, namespace: str, token: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        store.list_events(f"org-{namespace}", page_token=token)
    assert caught.value.code == "invalid_page_token"
