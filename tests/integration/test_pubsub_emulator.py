"""The gcloud Pub/Sub emulator through google-cloud-pubsub, and what the provisioner made."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from google.cloud import pubsub_v1
from google.protobuf import duration_pb2

from emulators.http_receiver import HttpReceiver, serve
from shared import resources
from shared.settings import Settings


@pytest.fixture(scope="module")
def publisher(stack: Settings) -> pubsub_v1.PublisherClient:
    return pubsub_v1.PublisherClient()


@pytest.fixture(scope="module")
def subscriber(stack: Settings) -> pubsub_v1.SubscriberClient:
    return pubsub_v1.SubscriberClient()


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_publish_is_pushed_to_the_endpoint_with_data_and_attributes(
    stack: Settings, publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = publisher.topic_path(stack.project_id, _unique("pushed"))
    publisher.create_topic(name=topic)
    with serve(HttpReceiver()) as receiver:
        subscriber.create_subscription(
            request={
                "name": subscriber.subscription_path(stack.project_id, _unique("pushed-sub")),
                "topic": topic,
                "push_config": {"push_endpoint": f"{receiver.url}/push"},
            }
        )
        publisher.publish(
            topic, b'{"run_id": "r1"}', event_type="switchyard.run.requested.v1"
        ).result(timeout=10)
        received = receiver.wait_for(1, timeout_s=15)

    assert received, "the push endpoint got nothing"
    envelope = json.loads(received[0].body)
    assert received[0].path == "/push"
    assert base64.b64decode(envelope["message"]["data"]) == b'{"run_id": "r1"}'
    assert envelope["message"]["attributes"] == {"event_type": "switchyard.run.requested.v1"}
    assert envelope["subscription"].startswith(f"projects/{stack.project_id}/subscriptions/")


def test_a_push_that_keeps_failing_is_dead_lettered(
    stack: Settings, publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    topic = publisher.topic_path(stack.project_id, _unique("failing"))
    dead_letters = publisher.topic_path(stack.project_id, _unique("failing-dlq"))
    publisher.create_topic(name=topic)
    publisher.create_topic(name=dead_letters)
    inspect = subscriber.subscription_path(stack.project_id, _unique("failing-dlq-inspect"))
    subscriber.create_subscription(request={"name": inspect, "topic": dead_letters})
    with serve(HttpReceiver(responder=lambda _r: (500, {}, b"broken"))) as receiver:
        subscriber.create_subscription(
            request={
                "name": subscriber.subscription_path(stack.project_id, _unique("failing-sub")),
                "topic": topic,
                "push_config": {"push_endpoint": receiver.url},
                "dead_letter_policy": {
                    "dead_letter_topic": dead_letters,
                    "max_delivery_attempts": 5,
                },
                "retry_policy": {
                    "minimum_backoff": duration_pb2.Duration(seconds=0),
                    "maximum_backoff": duration_pb2.Duration(seconds=1),
                },
            }
        )
        publisher.publish(topic, b"poison").result(timeout=10)
        attempts = receiver.wait_for(5, timeout_s=60)
        response = subscriber.pull(subscription=inspect, max_messages=1, timeout=60)

    assert len(attempts) >= 5
    assert [m.message.data for m in response.received_messages] == [b"poison"]


def test_the_provisioner_created_every_topic_and_subscription_with_its_dead_letter_policy(
    stack: Settings, publisher: pubsub_v1.PublisherClient, subscriber: pubsub_v1.SubscriberClient
) -> None:
    project = f"projects/{stack.project_id}"
    topics = {t.name.rsplit("/", 1)[1] for t in publisher.list_topics(project=project)}
    assert set(resources.PIPELINE_TOPICS) <= topics
    for declared in resources.SUBSCRIPTIONS:
        sub = subscriber.get_subscription(
            subscription=subscriber.subscription_path(stack.project_id, declared.name)
        )
        assert sub.topic.endswith(f"/topics/{declared.topic}")
        assert sub.dead_letter_policy.dead_letter_topic.endswith(f"/{declared.dead_letter_topic}")
        assert sub.dead_letter_policy.max_delivery_attempts == declared.max_delivery_attempts
        assert sub.push_config.push_endpoint.endswith(declared.push_path)
        assert sub.ack_deadline_seconds == declared.ack_deadline_s
