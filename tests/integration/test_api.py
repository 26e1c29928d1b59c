"""The API on the local stack: agents and runs land in Firestore and on ``run-requested``.

The Flask test client drives the real app over :func:`shared.composition.build_dependencies`,
so the Firestore, Pub/Sub and Secret Manager adapters do the work against the emulators.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from google.cloud import pubsub_v1

from cloudrun.api import create_app
from shared import resources
from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies, build_dependencies
from shared.domain.runs import TERMINAL_STATUSES, RunStatus
from shared.gcp_clients import firestore_client
from shared.settings import Settings
from tests.unit.api_harness import spec_yaml

PULL_DEADLINE_S = 30.0


@pytest.fixture(scope="module")
def deps(stack: Settings) -> Dependencies:
    return build_dependencies(stack)


@pytest.fixture(scope="module")
def client(deps: Dependencies) -> FlaskClient:
    app = create_app(deps, {"TESTING": True, "SSE_POLL_INTERVAL_S": 0.05, "SSE_MAX_DURATION_S": 2})
    return app.test_client()


@pytest.fixture
def run_requested(stack: Settings) -> Iterator[tuple[pubsub_v1.SubscriberClient, str]]:
    """A pull subscription of this test's own on ``run-requested``."""
    subscriber = pubsub_v1.SubscriberClient()
    topic = pubsub_v1.PublisherClient.topic_path(stack.project_id, resources.RUN_REQUESTED)
    name = subscriber.subscription_path(
        stack.project_id, f"{resources.RUN_REQUESTED}--test-api-{uuid.uuid4().hex[:8]}"
    )
    subscriber.create_subscription(request={"name": name, "topic": topic})
    try:
        yield subscriber, name
    finally:
        subscriber.delete_subscription(request={"subscription": name})
        subscriber.close()


def _pull_run_message(
    subscriber: pubsub_v1.SubscriberClient, subscription: str, run_id: str
) -> pubsub_v1.types.PubsubMessage:
    deadline = time.monotonic() + PULL_DEADLINE_S
    while time.monotonic() < deadline:
        response = subscriber.pull(
            request={"subscription": subscription, "max_messages": 10}, timeout=10
        )
        if response.received_messages:
            subscriber.acknowledge(
                request={
                    "subscription": subscription,
                    "ack_ids": [m.ack_id for m in response.received_messages],
                }
            )
        for received in response.received_messages:
            if json.loads(received.message.data)["run_id"] == run_id:
                return received.message
    pytest.fail(f"no message for run {run_id} on {resources.RUN_REQUESTED} in {PULL_DEADLINE_S} s")


def test_an_agent_and_a_run_made_through_the_api_are_stored_and_published(
    stack: Settings,
    deps: Dependencies,
    client: FlaskClient,
    run_requested: tuple[pubsub_v1.SubscriberClient, str],
) -> None:
    org, key = create_org_with_key(deps, "Integration")
    _, other_key = create_org_with_key(deps, "Elsewhere")
    auth = {"Authorization": f"Bearer {key}"}
    name = f"api-it-{uuid.uuid4().hex[:8]}"

    created = client.post(
        "/v1/agents", data=spec_yaml(name), content_type="application/yaml", headers=auth
    )
    assert created.status_code == 201, created.get_json()
    agent_id = created.get_json()["agent"]["agent_id"]
    accepted = client.post(
        f"/v1/agents/{agent_id}/runs", json={"input": {"sku": "A-1"}}, headers=auth
    )
    assert accepted.status_code == 202, accepted.get_json()
    run_id = accepted.get_json()["run_id"]

    # The stack's own stages may already have moved the run on; its log starts where we did.
    document = firestore_client(stack).collection(resources.RUNS).document(run_id).get()
    assert document.exists
    assert document.get("status") in {status.value for status in RunStatus}
    assert document.get("org_id") == org.org_id
    assert document.get("agent_id") == agent_id
    assert document.get("agent_version") == 1
    assert deps.runs.get_run(run_id, org.org_id).input == {"sku": "A-1"}
    assert deps.runs.list_events(run_id)[0].type == "run.requested"

    subscriber, subscription = run_requested
    message = _pull_run_message(subscriber, subscription, run_id)
    assert dict(message.attributes) == {
        "event_type": "switchyard.run.requested.v1",
        "org_id": org.org_id,
        "agent_id": agent_id,
    }

    assert client.get(f"/v1/runs/{run_id}", headers=auth).get_json()["run_id"] == run_id
    listed = client.get(f"/v1/runs?agent_id={agent_id}", headers=auth).get_json()["items"]
    assert [run["run_id"] for run in listed] == [run_id]
    elsewhere = {"Authorization": f"Bearer {other_key}"}
    assert client.get(f"/v1/runs/{run_id}", headers=elsewhere).status_code == 404
    assert client.get(f"/v1/agents/{agent_id}", headers=elsewhere).status_code == 404


def test_the_event_stream_reads_the_firestore_event_log(
    deps: Dependencies, client: FlaskClient
) -> None:
    _, key = create_org_with_key(deps, "Streaming")
    auth = {"Authorization": f"Bearer {key}"}
    created = client.post(
        "/v1/agents",
        data=spec_yaml(f"api-sse-{uuid.uuid4().hex[:8]}"),
        content_type="application/yaml",
        headers=auth,
    )
    run_id = client.post(
        f"/v1/agents/{created.get_json()['agent']['agent_id']}/runs", json={}, headers=auth
    ).get_json()["run_id"]

    text = client.get(f"/v1/runs/{run_id}/events", headers=auth).get_data(as_text=True)

    assert text.startswith("id: 1\nevent: run.requested\n")
    # The stack's stages may finish the run within the stream's 2 s; either way the stream says
    # how it ends: with the run's terminal event, or with its own time-limit error.
    last = [line for line in text.splitlines() if line.startswith("event: ")][-1]
    terminal = {f"event: run.{status.value}" for status in TERMINAL_STATUSES}
    assert last in terminal | {"event: error"}
