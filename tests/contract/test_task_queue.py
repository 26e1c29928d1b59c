"""TaskQueue contract: one suite, run against the in-memory twin and Cloud Tasks (emulator).

Each test enqueues and then reads back what the executor would receive: the twin's drained
tasks, or the requests that reach a local receiver standing in for the executor, dispatched by
the Cloud Tasks emulator from a queue made for the test.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import jwt
import pytest
from google.cloud import tasks_v2

from emulators.http_receiver import HttpReceiver, serve
from shared.adapters.cloud_tasks_queue import CloudTasksQueue, task_name_id
from shared.adapters.in_memory_task_queue import InMemoryTaskQueue
from shared.domain.base import Model
from shared.domain.messages import ToolCallTask
from shared.errors import TransientError
from shared.gcp_clients import cloud_tasks_client
from shared.ports.task_queue import TaskQueue
from shared.settings import Settings

DELIVERY_TIMEOUT_S = 15.0
CLOCK_TOLERANCE_S = 0.05
PATH = "/tasks/tool-call"


@dataclass(frozen=True)
class Delivery:
    """A task as the executor sees it; ``delay_s`` is the time from enqueue to dispatch."""

    path: str
    body: bytes
    delay_s: float


@dataclass
class Harness:
    """A task queue and a queue id on it, with what the executor received.

    ``receive(n, since)`` gives the first ``n`` tasks dispatched, each with its delay from
    ``since`` (a ``time.monotonic()`` reading).
    """

    queue: TaskQueue
    queue_name: str
    receive: Callable[[int, float], list[Delivery]]
    enqueued_at: float = 0.0

    def enqueue(self, payload: Model, task_id: str, delay_s: float = 0.0) -> bool:
        """Enqueue on the test's queue at ``PATH``, noting when."""
        self.enqueued_at = time.monotonic()
        return self.queue.enqueue(self.queue_name, PATH, payload, task_id=task_id, delay_s=delay_s)

    def deliveries(self, count: int) -> list[Delivery]:
        """The first ``count`` tasks dispatched; delays count from the latest enqueue."""
        return self.receive(count, self.enqueued_at)


def _in_memory() -> Harness:
    queue = InMemoryTaskQueue()
    drained: list[Delivery] = []

    def receive(count: int, _since: float) -> list[Delivery]:
        drained.extend(Delivery(t.path, t.body, t.delay_s) for t in queue.drain())
        return drained[:count]

    return Harness(queue, "tool-http-fetch", receive)


@contextlib.contextmanager
def _emulated(
    stack: Settings, namespace: str, service_account_email: str | None = None
) -> Iterator[tuple[CloudTasksQueue, str, HttpReceiver]]:
    """A CloudTasksQueue whose executor is a local receiver, and a fresh queue id on it."""
    client = cloud_tasks_client(stack)
    location = client.common_location_path(stack.project_id, stack.region)
    queue_name = f"contract-{namespace}"
    client.create_queue(
        parent=location, queue=tasks_v2.Queue(name=f"{location}/queues/{queue_name}")
    )
    with serve(HttpReceiver()) as receiver:
        settings = stack.model_copy(update={"executor_url": receiver.url + "/"})
        adapter = CloudTasksQueue(
            settings, service_account_email=service_account_email, client=client
        )
        yield adapter, queue_name, receiver


def _cloud_tasks(stack: Settings, namespace: str) -> Iterator[Harness]:
    with _emulated(stack, namespace) as (adapter, queue_name, receiver):

        def receive(count: int, since: float) -> list[Delivery]:
            return [
                Delivery(r.path, r.body, r.received_at - since)
                for r in receiver.wait_for(count, DELIVERY_TIMEOUT_S)
            ][:count]

        yield Harness(adapter, queue_name, receive)


@pytest.fixture(params=["memory", "gcp"])
def harness(request: pytest.FixtureRequest, namespace: str) -> Iterator[Harness]:
    if request.param == "memory":
        yield _in_memory()
    else:
        yield from _cloud_tasks(request.getfixturevalue("stack"), namespace)


def test_a_task_posts_its_payload_json_to_the_path(harness: Harness) -> None:
    payload = ToolCallTask(run_id="run-1", step=2, call_index=0)

    assert harness.enqueue(payload, task_id="run-1:2:0") is True

    [delivery] = harness.deliveries(1)
    assert delivery.path == PATH
    assert json.loads(delivery.body) == payload.model_dump(mode="json")
    assert ToolCallTask.model_validate_json(delivery.body) == payload


def test_a_delayed_task_waits_its_delay(harness: Harness) -> None:
    assert harness.enqueue(ToolCallTask(run_id="r", step=0, call_index=0), "r:0:0", delay_s=1.0)

    [delivery] = harness.deliveries(1)
    assert delivery.delay_s >= 1.0 - CLOCK_TOLERANCE_S


def test_a_duplicate_task_id_is_refused(harness: Harness) -> None:
    first, again = (
        ToolCallTask(run_id="r", step=0, call_index=0),
        ToolCallTask(run_id="r", step=9, call_index=9),
    )

    assert harness.enqueue(first, "r:0:0") is True
    assert harness.enqueue(again, "r:0:0") is False
    assert harness.enqueue(ToolCallTask(run_id="r", step=0, call_index=1), "r:0:1") is True

    bodies = [ToolCallTask.model_validate_json(d.body) for d in harness.deliveries(2)]
    assert sorted(b.call_index for b in bodies) == [0, 1]
    assert again not in bodies


def test_a_task_id_stays_refused_after_its_task_ran(harness: Harness) -> None:
    payload = ToolCallTask(run_id="r", step=0, call_index=0)
    assert harness.enqueue(payload, "r:0:0") is True
    assert len(harness.deliveries(1)) == 1

    assert harness.enqueue(payload, "r:0:0") is False


def test_any_task_id_is_accepted_and_ids_that_differ_stay_apart(harness: Harness) -> None:
    awkward = ["run/1:step 2", "run:1:step/2", "ünïcode-id", "x" * 600, "x" * 600 + "y"]

    results = [
        harness.enqueue(ToolCallTask(run_id="r", step=0, call_index=n), task_id)
        for n, task_id in enumerate(awkward)
    ]

    assert results == [True] * len(awkward)
    assert len(harness.deliveries(len(awkward))) == len(awkward)


# --- Cloud Tasks adapter only ---------------------------------------------------------------


def test_task_names_are_hash_prefixed_and_valid() -> None:
    name = task_name_id("run-7f3a:step-2:call-0")

    assert name == task_name_id("run-7f3a:step-2:call-0")
    assert name[:12] != task_name_id("run-7f3a:step-2:call-1")[:12]
    assert name.endswith("-run-7f3a_step-2_call-0")
    assert len(task_name_id("x" * 1000)) == 500
    assert task_name_id("a/b") != task_name_id("a:b")


def test_cloud_tasks_sends_an_oidc_token_for_the_executor(stack: Settings, namespace: str) -> None:
    invoker = "tasks-invoker@demo-switchyard.iam.gserviceaccount.com"
    with _emulated(stack, namespace, invoker) as (queue, queue_name, receiver):
        payload = ToolCallTask(run_id="r", step=0, call_index=0)
        queue.enqueue(queue_name, PATH, payload, task_id="r:0:0")

        [request] = receiver.wait_for(1, DELIVERY_TIMEOUT_S)
    scheme, token = request.headers["authorization"].split(" ", 1)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert scheme == "Bearer"
    assert (claims["email"], claims["aud"]) == (invoker, receiver.url)
    assert request.path == PATH
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-cloudtasks-taskname"] == task_name_id("r:0:0")


def test_cloud_tasks_without_an_executor_url_fails_on_enqueue_as_transient(
    stack: Settings,
) -> None:
    queue = CloudTasksQueue(stack.model_copy(update={"executor_url": None}))

    with pytest.raises(TransientError) as raised:
        queue.enqueue(
            "model-steps", PATH, ToolCallTask(run_id="r", step=0, call_index=0), task_id="t"
        )

    assert raised.value.code == "task_queue_unavailable"


def test_cloud_tasks_enqueue_on_a_missing_queue_is_transient(stack: Settings) -> None:
    queue = CloudTasksQueue(stack.model_copy(update={"executor_url": "http://127.0.0.1:9"}))

    with pytest.raises(TransientError) as raised:
        queue.enqueue(
            "no-such-queue", PATH, ToolCallTask(run_id="r", step=0, call_index=0), task_id="t"
        )

    assert raised.value.code == "task_queue_unavailable"
