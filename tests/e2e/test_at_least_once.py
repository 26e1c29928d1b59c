"""At-least-once on the local stack: every pipeline message pushed twice gives one run's worth
of tool calls and deliveries; a poison message on any topic is dead-lettered, never fatal."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

from examples.scenario import PRICE_MONITOR, OutsideWorld
from shared import resources
from shared.settings import Settings
from tests.e2e.conftest import Tenant
from tests.e2e.test_examples import run_to_end


@pytest.fixture
def every_message_twice(stack: Settings) -> Iterator[None]:
    """A second push subscription per pipeline subscription, to the same endpoint."""
    subscriber = SubscriberClient()
    twins = []
    for declared in resources.SUBSCRIPTIONS:
        original = subscriber.get_subscription(
            subscription=subscriber.subscription_path(stack.project_id, declared.name)
        )
        twin = f"{original.name}-twin-{uuid.uuid4().hex[:6]}"
        subscriber.create_subscription(
            request={"name": twin, "topic": original.topic, "push_config": original.push_config}
        )
        twins.append(twin)
    try:
        yield
    finally:
        for twin in twins:
            subscriber.delete_subscription(subscription=twin)


@pytest.mark.usefixtures("every_message_twice")
def test_duplicate_pushes_make_one_set_of_tool_calls_and_one_delivery(
    stack: Settings, tenant: Tenant, world: OutsideWorld
) -> None:
    run, events = run_to_end(stack, tenant, world, PRICE_MONITOR, {"product": "widget"})

    assert run["status"] == "delivered"
    assert len(world.pages.requests) == 2  # each tool call once
    assert len(world.webhooks.requests) == 1  # one delivery
    for stage in ("approved", "running", "generated", "passed", "delivered"):
        assert events.count(f"run.{stage}") == 1


@pytest.mark.parametrize("declared", resources.SUBSCRIPTIONS, ids=lambda s: s.name)
@pytest.mark.parametrize("data", [b"not json", b'{"run_id": 42}', b'{"run_id": "no-such-run"}'])
def test_a_poison_message_is_dead_lettered_with_its_reason(
    stack: Settings, declared: resources.Subscription, data: bytes
) -> None:
    publisher, subscriber = PublisherClient(), SubscriberClient()
    marker = uuid.uuid4().hex
    publisher.publish(
        publisher.topic_path(stack.project_id, declared.topic), data, marker=marker
    ).result(timeout=10)

    inspect = subscriber.subscription_path(stack.project_id, declared.dead_letter_subscription)
    found = None
    for _attempt in range(20):  # bounded: the push, the dead-letter publish, then the pull
        response = subscriber.pull(subscription=inspect, max_messages=50, timeout=10)
        if response.received_messages:
            subscriber.acknowledge(
                subscription=inspect, ack_ids=[m.ack_id for m in response.received_messages]
            )
        found = found or next(
            (
                m.message
                for m in response.received_messages
                if m.message.attributes.get("marker") == marker
            ),
            None,
        )
        if found:
            break
    assert found is not None, f"nothing reached {declared.dead_letter_subscription}"
    assert found.data == data
    assert found.attributes["error_code"] in {"malformed_message", "run_not_found"}
