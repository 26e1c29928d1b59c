"""EventPublisher contract: one suite, run against the in-memory twin and Pub/Sub (emulator).

Each test publishes and then reads back what a subscriber would receive: the twin's record, or
the messages pulled from a subscription made on a fresh topic.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

from shared.adapters.in_memory_publisher import InMemoryEventPublisher
from shared.adapters.pubsub_publisher import PubSubEventPublisher
from shared.domain.messages import RunMessage, event_type
from shared.errors import TransientError
from shared.ports.event_publisher import EventPublisher
from shared.settings import Settings

RECEIVE_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Received:
    """A message as a subscriber sees it."""

    data: bytes
    attributes: dict[str, str]
    message_id: str


@dataclass(frozen=True)
class Harness:
    """A publisher, a topic to publish on, and ``receive(n)``: the first ``n`` messages on it."""

    publisher: EventPublisher
    topic: str
    receive: Callable[[int], list[Received]]


def _in_memory() -> Harness:
    publisher = InMemoryEventPublisher()
    topic = "run-approved"

    def receive(count: int) -> list[Received]:
        return [
            Received(m.data, m.attributes, m.message_id)
            for m in publisher.published
            if m.topic == topic
        ][:count]

    return Harness(publisher, topic, receive)


def _pubsub(stack: Settings, namespace: str) -> Harness:
    publisher_client, subscriber = PublisherClient(), SubscriberClient()
    topic = f"contract-{namespace}"
    topic_path = publisher_client.create_topic(
        name=publisher_client.topic_path(stack.project_id, topic)
    ).name
    subscription = subscriber.create_subscription(
        name=subscriber.subscription_path(stack.project_id, f"{topic}--test"), topic=topic_path
    ).name
    received: list[Received] = []

    def receive(count: int) -> list[Received]:
        deadline = time.monotonic() + RECEIVE_TIMEOUT_S
        while len(received) < count and time.monotonic() < deadline:
            response = subscriber.pull(subscription=subscription, max_messages=count, timeout=5)
            for message in response.received_messages:
                received.append(
                    Received(
                        message.message.data,
                        dict(message.message.attributes),
                        message.message.message_id,
                    )
                )
            if response.received_messages:
                subscriber.acknowledge(
                    subscription=subscription,
                    ack_ids=[m.ack_id for m in response.received_messages],
                )
        return received[:count]

    return Harness(PubSubEventPublisher(stack, client=publisher_client), topic, receive)


@pytest.fixture(params=["memory", "gcp"])
def harness(request: pytest.FixtureRequest, namespace: str) -> Harness:
    if request.param == "memory":
        return _in_memory()
    return _pubsub(request.getfixturevalue("stack"), namespace)


def test_publish_sends_the_message_json_with_its_attributes(harness: Harness) -> None:
    message = RunMessage(run_id="run-1")
    attributes = {"event_type": event_type(harness.topic), "org_id": "org-1", "agent_id": "a-1"}

    message_id = harness.publisher.publish(harness.topic, message, attributes)

    [received] = harness.receive(1)
    assert RunMessage.model_validate_json(received.data) == message
    assert received.data == message.model_dump_json().encode()
    assert received.attributes == attributes
    assert received.message_id == message_id


def test_publish_raw_sends_the_bytes_unchanged(harness: Harness) -> None:
    data = b"\x00not json\xff"

    message_id = harness.publisher.publish_raw(harness.topic, data, {"reason": "undecodable"})

    [received] = harness.receive(1)
    assert (received.data, received.attributes) == (data, {"reason": "undecodable"})
    assert received.message_id == message_id


def test_every_message_gets_its_own_id(harness: Harness) -> None:
    ids = [
        harness.publisher.publish(harness.topic, RunMessage(run_id=f"run-{n}"), {"n": str(n)})
        for n in range(3)
    ]

    received = harness.receive(3)
    assert len(set(ids)) == 3
    assert sorted(r.message_id for r in received) == sorted(ids)
    assert sorted(RunMessage.model_validate_json(r.data).run_id for r in received) == [
        "run-0",
        "run-1",
        "run-2",
    ]


# --- Pub/Sub adapter only -------------------------------------------------------------------


def test_pubsub_publish_to_a_missing_topic_is_transient(stack: Settings, namespace: str) -> None:
    publisher = PubSubEventPublisher(stack)

    with pytest.raises(TransientError) as raised:
        publisher.publish(f"missing-{namespace}", RunMessage(run_id="r"), {})

    assert raised.value.code == "event_publish_failed"
