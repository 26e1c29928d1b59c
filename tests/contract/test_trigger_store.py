"""TriggerStore contract: one suite, run against the in-memory twin and Firestore (emulator)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.adapters.firestore_trigger_store import FirestoreTriggerStore
from shared.adapters.in_memory_trigger_store import InMemoryTriggerStore
from shared.domain.triggers import CronState, EventSubscription, WebhookEndpoint
from shared.errors import ConflictError, NotFoundError, ValidationError
from shared.ports.trigger_store import TriggerStore

Race = Callable[..., list[Any]]
NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "firestore"])
def store(request: pytest.FixtureRequest) -> TriggerStore:
    if request.param == "memory":
        return InMemoryTriggerStore()
    return FirestoreTriggerStore(request.getfixturevalue("firestore_client"))


def _endpoint(namespace: str, agent: str = "agent", **changes: Any) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        trigger_id=f"{namespace}-{agent}-hook",
        org_id=f"org-{namespace}",
        agent_id=f"{namespace}-{agent}",
        preset="github",
        secret_id=f"trigger-{namespace}-signing",
        created_at=NOW,
        updated_at=NOW,
    )
    return endpoint.model_copy(update=changes)


def test_a_webhook_endpoint_is_stored_found_and_replaced(
    store: TriggerStore, namespace: str
) -> None:
    endpoint = _endpoint(namespace)
    store.put_webhook(endpoint)
    disabled = endpoint.model_copy(update={"enabled": False, "preset": "slack"})

    found = store.find_webhook(endpoint.org_id, endpoint.agent_id)
    store.put_webhook(disabled)

    assert store.get_webhook(endpoint.trigger_id) == disabled
    assert found == endpoint
    assert store.find_webhook("another-org", endpoint.agent_id) is None
    assert store.find_webhook(endpoint.org_id, "another-agent") is None


@pytest.mark.parametrize("trigger_id", ["nope", "a/b", "__x__", ".."])
def test_an_unknown_or_impossible_trigger_id_is_not_found(
    store: TriggerStore, trigger_id: str
) -> None:
    with pytest.raises(NotFoundError) as missing:
        store.get_webhook(trigger_id)
    assert missing.value.code == "trigger_not_found"


def test_a_trigger_id_that_cannot_name_a_document_is_refused(
    store: TriggerStore, namespace: str
) -> None:
    with pytest.raises(ValidationError):
        store.put_webhook(_endpoint(namespace).model_copy(update={"trigger_id": "a/b"}))


def test_event_subscriptions_are_listed_by_source_and_organisation(
    store: TriggerStore, namespace: str
) -> None:
    org, source = f"org-{namespace}", f"{namespace}-source"
    for agent, src, in_org in (("b", source, org), ("a", source, org), ("c", "other", org),
                               ("d", source, "other-org")):  # fmt: skip
        store.put_event_subscription(
            EventSubscription(
                org_id=in_org, agent_id=f"{namespace}-{agent}", source_agent_id=src, updated_at=NOW
            )
        )

    listed = store.list_event_subscriptions(org, source)
    store.delete_event_subscription(org, f"{namespace}-a")
    store.delete_event_subscription("other-org", f"{namespace}-b")  # not its subscription
    store.delete_event_subscription(org, f"{namespace}-never")

    assert [s.agent_id for s in listed] == [f"{namespace}-a", f"{namespace}-b"]
    assert [s.agent_id for s in store.list_event_subscriptions(org, source)] == [f"{namespace}-b"]


def test_a_subscription_is_replaced_when_its_source_changes(
    store: TriggerStore, namespace: str
) -> None:
    org, agent = f"org-{namespace}", f"{namespace}-follower"
    for source in ("first", "second"):
        store.put_event_subscription(
            EventSubscription(
                org_id=org, agent_id=agent, source_agent_id=f"{namespace}-{source}", updated_at=NOW
            )
        )

    assert store.list_event_subscriptions(org, f"{namespace}-first") == []
    assert len(store.list_event_subscriptions(org, f"{namespace}-second")) == 1


def _state(namespace: str, **fields: Any) -> CronState:
    return CronState(org_id="org", agent_id=f"{namespace}-cron", updated_at=NOW, **fields)


def test_cron_state_is_saved_by_compare_and_set(store: TriggerStore, namespace: str) -> None:
    assert store.get_cron_state(f"{namespace}-cron") is None

    first = store.save_cron_state(_state(namespace, last_run_id="r1", last_tick_at=NOW), 0)
    second = store.save_cron_state(first.model_copy(update={"last_run_id": "r2"}), 1)
    with pytest.raises(ConflictError) as stale:
        store.save_cron_state(first.model_copy(update={"last_run_id": "r3"}), 1)
    with pytest.raises(ConflictError):
        store.save_cron_state(_state(namespace), 0)

    assert (first.revision, second.revision) == (1, 2)
    assert stale.value.code == "cron_state_changed"
    assert store.get_cron_state(f"{namespace}-cron") == second
    assert second.last_tick_at == NOW


def test_of_concurrent_first_saves_exactly_one_wins(
    store: TriggerStore, namespace: str, race: Race
) -> None:
    def save() -> str:
        try:
            store.save_cron_state(_state(namespace), 0)
            return "saved"
        except ConflictError:
            return "conflict"

    assert sorted(race(4, save)) == ["conflict", "conflict", "conflict", "saved"]
