"""Poison input: a malformed message on every topic and a malformed task on every queue is
dead-lettered with its reason, and the run it still names (a valid ``run_id``, the rest
garbled) is failed with that reason and its owner alerted; input naming no run fails nothing."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from google.cloud import tasks_v2
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient
from google.pubsub_v1.types import PubsubMessage

from shared import resources
from shared.adapters.cloud_tasks_queue import task_name_id
from shared.domain.runs import Run, RunStatus
from shared.gcp_clients import cloud_tasks_client
from shared.pipeline.delivery import WEBHOOK_DELIVERY_PATH
from shared.pipeline.execution import MODEL_STEP_PATH, TOOL_CALL_PATH
from tests.faults.harness import FaultStack, Fleet, fleet

TIMEOUT_S = 30.0
PATHS = {resources.MODEL_STEPS_QUEUE.name: MODEL_STEP_PATH,
         resources.WEBHOOK_DELIVERIES_QUEUE.name: WEBHOOK_DELIVERY_PATH}  # fmt: skip


# Scheduler ticks (cron, sweeper): their messages name no run, so poison fails none.
TICK_TOPICS = frozenset({resources.RUN_SCHEDULED, resources.SWEEP_REQUESTED})


@pytest.fixture(scope="module")
def probes(fault_stack: FaultStack) -> Iterator[Fleet]:
    with fleet(fault_stack, agents=1) as made:
        yield made


def stored_run(fault_stack: FaultStack, probes: Fleet) -> Run:
    """A run that exists and waits (``requested``), with nothing published for it."""
    deps = fault_stack.deps
    agent = deps.agents.get_agent(probes.org_id, probes.agent_ids[0])
    now = deps.clock()
    return deps.runs.create_run(
        Run(
            run_id=uuid.uuid4().hex, org_id=probes.org_id, agent_id=agent.agent_id,
            agent_version=agent.latest_version, input={}, created_at=now, updated_at=now,
        )
    )  # fmt: skip


def poll(what: str, found: Callable[[], object], timeout_s: float = TIMEOUT_S) -> object:
    deadline = time.monotonic() + timeout_s
    while not (result := found()):
        assert time.monotonic() < deadline, f"{what} after {timeout_s:.0f} s"
        time.sleep(0.3)
    return result


def dead_letter(fault_stack: FaultStack, subscription: str, data: bytes) -> PubsubMessage:
    """Pull ``subscription`` until a message with ``data`` arrives; acks what it pulls."""
    subscriber = SubscriberClient()
    path = subscriber.subscription_path(fault_stack.settings.project_id, subscription)

    def pull() -> PubsubMessage | None:
        response = subscriber.pull(subscription=path, max_messages=100, timeout=5)
        if response.received_messages:
            subscriber.acknowledge(
                subscription=path, ack_ids=[m.ack_id for m in response.received_messages]
            )
        return next((m.message for m in response.received_messages if m.message.data == data), None)

    return poll(f"nothing with {data!r} reached {subscription}", pull)  # type: ignore[return-value]


def assert_failed_with(fault_stack: FaultStack, probes: Fleet, run: Run, code: str) -> None:
    stopped = poll(
        f"run {run.run_id} named by poison input is not failed",
        lambda: (r := fault_stack.deps.runs.get_run(run.run_id)).status.terminal and r,
    )
    assert stopped.status is RunStatus.FAILED, stopped  # type: ignore[attr-defined]
    assert stopped.error.code == code, stopped.error  # type: ignore[attr-defined]
    alerts = probes.world.alerts
    poll(
        f"no alert for run {run.run_id}",
        lambda: any(json.loads(a.body).get("run_id") == run.run_id for a in alerts.requests),
    )


@pytest.mark.parametrize("declared", resources.SUBSCRIPTIONS, ids=lambda s: s.name)
def test_a_garbled_message_naming_a_run_is_dead_lettered_and_fails_the_run(
    fault_stack: FaultStack, probes: Fleet, declared: resources.Subscription
) -> None:
    run = stored_run(fault_stack, probes)
    data = json.dumps({"run_id": run.run_id, "garbled": True}).encode()
    publisher = PublisherClient()
    topic = publisher.topic_path(fault_stack.settings.project_id, declared.topic)
    publisher.publish(topic, data).result(timeout=10)

    found = dead_letter(fault_stack, declared.dead_letter_subscription, data)
    assert found.attributes["error_code"] == "malformed_message"
    if declared.topic in TICK_TOPICS:  # a tick names no run: nothing to fail
        assert fault_stack.deps.runs.get_run(run.run_id).status is RunStatus.REQUESTED
    else:
        assert_failed_with(fault_stack, probes, run, "malformed_message")


def enqueue_raw(fault_stack: FaultStack, queue: str, body: bytes) -> None:
    settings = fault_stack.settings
    client = cloud_tasks_client(settings)
    parent = client.queue_path(settings.project_id, settings.region, queue)
    path = PATHS.get(queue, TOOL_CALL_PATH)
    client.create_task(
        parent=parent,
        task=tasks_v2.Task(
            name=f"{parent}/tasks/{task_name_id('poison-' + uuid.uuid4().hex)}",
            http_request=tasks_v2.HttpRequest(
                http_method=tasks_v2.HttpMethod.POST,
                url=f"{settings.executor_url}{path}",
                headers={"Content-Type": "application/json"},
                body=body,
            ),
        ),
    )


@pytest.mark.parametrize("queue", sorted(resources.QUEUES_BY_NAME))
def test_a_garbled_task_naming_a_run_is_dead_lettered_and_fails_the_run(
    fault_stack: FaultStack, probes: Fleet, queue: str
) -> None:
    run = stored_run(fault_stack, probes)
    body = json.dumps({"run_id": run.run_id, "step": "not a number"}).encode()
    enqueue_raw(fault_stack, queue, body)

    found = dead_letter(fault_stack, resources.TASK_DEAD_LETTER_SUBSCRIPTION, body)
    assert found.attributes["error_code"] == "malformed_task"
    assert found.attributes["queue"] == queue
    assert_failed_with(fault_stack, probes, run, "malformed_task")


@pytest.mark.parametrize("queue", sorted(resources.QUEUES_BY_NAME))
def test_a_task_that_is_not_json_is_dead_lettered(fault_stack: FaultStack, queue: str) -> None:
    body = b"\xff not json " + uuid.uuid4().hex.encode()
    enqueue_raw(fault_stack, queue, body)

    found = dead_letter(fault_stack, resources.TASK_DEAD_LETTER_SUBSCRIPTION, body)
    assert found.attributes["error_code"] == "malformed_task"
    assert "invalid" in found.attributes["error_message"]
