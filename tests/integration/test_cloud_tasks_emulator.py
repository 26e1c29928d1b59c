"""The Cloud Tasks emulator, through the real ``tasks_v2.CloudTasksClient``.

Tasks target an :class:`~emulators.http_receiver.HttpReceiver` of each test on 127.0.0.1, which
records when each request arrives, how many are in flight and what they carry, so limits are
checked where Google's guarantees apply: at the target. Needs a running emulator
(``SWITCHYARD_CLOUD_TASKS_EMULATOR_HOST``, set by ``python -m emulators run``).
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import jwt
import pytest
from google.api_core import exceptions
from google.cloud import tasks_v2

from emulators.http_receiver import HttpReceiver, ReceivedRequest, serve
from shared.gcp_clients import cloud_tasks_client
from shared.settings import Settings

# Time tolerances for a shared 2-core machine: never early, and late by at most LATE_S.
EARLY_S = 0.02
LATE_S = 0.35


def answer(status: int, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """The receiver's reply: ``status`` and ``headers``, no body."""
    return status, headers or {}, b""


def reached(
    receiver: HttpReceiver, path: str, count: int, timeout_s: float
) -> list[ReceivedRequest]:
    """Block until ``count`` requests reached ``path`` and return them; fail after ``timeout_s``."""
    received = receiver.wait_for(count, timeout_s, path=path)
    assert len(received) >= count, (
        f"{len(received)}/{count} requests reached {path} in {timeout_s}s"
    )
    return received


def eventually(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Poll ``check`` until it holds; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def client(stack: Settings) -> tasks_v2.CloudTasksClient:
    return cloud_tasks_client(stack)


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    """An HTTP target of this test alone, answering 200 unless the test says otherwise."""
    with serve(HttpReceiver()) as target:
        yield target


@pytest.fixture
def location(stack: Settings, client: tasks_v2.CloudTasksClient) -> Iterator[str]:
    """A location of this test alone (names never collide), emptied afterwards."""
    name = f"projects/{stack.project_id}/locations/test-{uuid.uuid4().hex[:12]}"
    yield name
    for queue in client.list_queues(parent=name):
        client.delete_queue(name=queue.name)


def make_queue(client: tasks_v2.CloudTasksClient, location: str, **settings: Any) -> str:
    queue = client.create_queue(
        parent=location,
        queue=tasks_v2.Queue(name=f"{location}/queues/q-{uuid.uuid4().hex[:8]}", **settings),
    )
    return queue.name


def add_task(
    client: tasks_v2.CloudTasksClient, queue: str, url: str, task_id: str = "", **fields: Any
) -> tasks_v2.Task:
    task = tasks_v2.Task(http_request=tasks_v2.HttpRequest(url=url), **fields)
    if task_id:
        task.name = f"{queue}/tasks/{task_id}"
    return client.create_task(parent=queue, task=task)


def fast_retries(
    max_attempts: int, min_s: float, max_s: float, doublings: int
) -> tasks_v2.RetryConfig:
    return tasks_v2.RetryConfig(
        max_attempts=max_attempts,
        min_backoff=timedelta(seconds=min_s),
        max_backoff=timedelta(seconds=max_s),
        max_doublings=doublings,
    )


def test_queue_lifecycle(client: tasks_v2.CloudTasksClient, location: str) -> None:
    name = make_queue(client, location)

    queue = client.get_queue(name=name)
    assert queue.state == tasks_v2.Queue.State.RUNNING
    assert queue.rate_limits.max_dispatches_per_second == 500
    assert queue.rate_limits.max_burst_size == 100
    assert queue.retry_config.max_attempts == 100
    with pytest.raises(exceptions.AlreadyExists):
        client.create_queue(parent=location, queue=tasks_v2.Queue(name=name))
    with pytest.raises(exceptions.NotFound):
        client.get_queue(name=f"{location}/queues/missing")
    with pytest.raises(exceptions.InvalidArgument):
        client.create_queue(parent=location, queue=tasks_v2.Queue(name=f"{location}/queues/a_b"))

    updated = client.update_queue(
        queue=tasks_v2.Queue(
            name=name,
            rate_limits=tasks_v2.RateLimits(
                max_dispatches_per_second=7, max_concurrent_dispatches=1
            ),
        ),
        update_mask={"paths": ["rate_limits.max_dispatches_per_second"]},
    )
    assert updated.rate_limits.max_dispatches_per_second == 7
    assert updated.rate_limits.max_burst_size == 7
    assert updated.rate_limits.max_concurrent_dispatches == 1000

    assert client.pause_queue(name=name).state == tasks_v2.Queue.State.PAUSED
    assert client.get_queue(name=name).state == tasks_v2.Queue.State.PAUSED
    assert client.resume_queue(name=name).state == tasks_v2.Queue.State.RUNNING

    client.delete_queue(name=name)
    with pytest.raises(exceptions.NotFound):
        client.get_queue(name=name)


def test_list_queues_pages(client: tasks_v2.CloudTasksClient, location: str) -> None:
    names = sorted(make_queue(client, location) for _ in range(5))

    pager = client.list_queues(request={"parent": location, "page_size": 2})
    pages = [[queue.name for queue in page.queues] for page in pager.pages]

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [name for page in pages for name in page] == names


def test_purge_deletes_tasks_and_list_tasks_shows_them_before(
    client: tasks_v2.CloudTasksClient, location: str, receiver: HttpReceiver
) -> None:
    queue = make_queue(client, location)
    client.pause_queue(name=queue)
    created = {add_task(client, queue, receiver.url + "/purge").name for _ in range(3)}

    assert {task.name for task in client.list_tasks(parent=queue)} == created
    purged = client.purge_queue(name=queue)
    assert "purge_time" in purged
    assert list(client.list_tasks(parent=queue)) == []


def test_paused_queue_holds_tasks_until_resumed(
    client: tasks_v2.CloudTasksClient, location: str, receiver: HttpReceiver
) -> None:
    paused, running = make_queue(client, location), make_queue(client, location)
    client.pause_queue(name=paused)
    held = add_task(client, paused, receiver.url + f"/held-{uuid.uuid4().hex}")
    marker_path = f"/marker-{uuid.uuid4().hex}"
    add_task(client, running, receiver.url + marker_path)

    reached(receiver, marker_path, 1, timeout_s=5)  # the dispatcher is live...
    held_path = held.http_request.url.removeprefix(receiver.url)
    assert receiver.arrived(held_path) == 0  # ...and skipped the paused queue
    assert client.get_task(name=held.name).dispatch_count == 0

    client.resume_queue(name=paused)
    reached(receiver, held_path, 1, timeout_s=5)


def test_http_task_carries_method_body_headers_and_oidc_token(
    client: tasks_v2.CloudTasksClient, location: str, receiver: HttpReceiver
) -> None:
    queue = make_queue(client, location)
    path = f"/tool-call-{uuid.uuid4().hex}"
    task = client.create_task(
        parent=queue,
        task=tasks_v2.Task(
            name=f"{queue}/tasks/run-1-step-2-call-0",
            http_request=tasks_v2.HttpRequest(
                url=receiver.url + path,
                http_method=tasks_v2.HttpMethod.PUT,
                headers={"Content-Type": "application/json"},
                body=b'{"tool": "http_fetch"}',
                oidc_token=tasks_v2.OidcToken(
                    service_account_email="tasks@demo.iam.gserviceaccount.com",
                    audience="https://executor.example",
                ),
            ),
        ),
    )

    [arrival] = reached(receiver, path, 1, timeout_s=5)

    headers = arrival.headers
    assert (arrival.method, arrival.body) == ("PUT", b'{"tool": "http_fetch"}')
    assert headers["content-type"] == "application/json"
    assert headers["x-cloudtasks-queuename"] == queue.rsplit("/", 1)[1]
    assert headers["x-cloudtasks-taskname"] == "run-1-step-2-call-0"
    assert headers["x-cloudtasks-taskretrycount"] == "0"
    assert headers["x-cloudtasks-taskexecutioncount"] == "0"
    assert float(headers["x-cloudtasks-tasketa"]) == pytest.approx(
        task.schedule_time.timestamp(), abs=1e-3
    )
    scheme, token = headers["authorization"].split(" ")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert scheme == "Bearer"
    assert claims["aud"] == "https://executor.example"
    assert claims["email"] == "tasks@demo.iam.gserviceaccount.com"


def test_rate_limit_holds_at_the_receiver_after_the_burst(
    client: tasks_v2.CloudTasksClient, location: str, receiver: HttpReceiver
) -> None:
    rate = 5.0
    queue = make_queue(
        client, location, rate_limits=tasks_v2.RateLimits(max_dispatches_per_second=rate)
    )
    burst = client.get_queue(name=queue).rate_limits.max_burst_size
    path = f"/rate-{uuid.uuid4().hex}"
    for _ in range(50):
        add_task(client, queue, receiver.url + path)

    arrivals = reached(receiver, path, 50, timeout_s=(50 - burst) / rate + 8)

    times = sorted(arrival.received_at for arrival in arrivals)
    assert burst == 5
    # Token bucket conformance: no window holds more than burst + rate * its length
    # dispatches (one extra allowed for network jitter at the receiver).
    for i, start in enumerate(times):
        for j in range(i + 1, len(times)):
            assert j - i + 1 <= burst + rate * (times[j] - start) + 1, (i, j, times[j] - start)
    assert times[-1] - times[0] >= (50 - burst - 1) / rate


def test_max_concurrent_dispatches_is_never_exceeded(
    client: tasks_v2.CloudTasksClient, location: str, receiver: HttpReceiver
) -> None:
    queue = make_queue(
        client, location, rate_limits=tasks_v2.RateLimits(max_concurrent_dispatches=3)
    )
    path = f"/slow-{uuid.uuid4().hex}"
    receiver.hold_s = 0.3  # the target's own work
    for _ in range(12):
        add_task(client, queue, receiver.url + path)

    reached(receiver, path, 12, timeout_s=10)

    eventually(lambda: not list(client.list_tasks(parent=queue)))
    assert receiver.peak_in_flight == 3


def test_failing_target_sees_the_documented_backoff(
    client: tasks_v2.CloudTasksClient, location: str, receiver: HttpReceiver
) -> None:
    # Large enough steps that doubling instead of the linear phase, or a missing cap, shows.
    queue = make_queue(client, location, retry_config=fast_retries(7, 0.25, 2.0, doublings=1))
    path = f"/failing-{uuid.uuid4().hex}"
    receiver.responder = lambda request: answer(500)
    task = add_task(client, queue, receiver.url + path)

    arrivals = reached(receiver, path, 7, timeout_s=15)
    eventually(lambda: _gone(client, task.name))

    intervals = [
        later.received_at - earlier.received_at for earlier, later in itertools.pairwise(arrivals)
    ]
    # Doubles once, then grows by 2**1 * 0.25 s per retry, capped at 2 s.
    expected = [0.25, 0.5, 1.0, 1.5, 2.0, 2.0]
    assert len(intervals) == len(expected)
    for got, want in zip(intervals, expected, strict=True):
        assert want - EARLY_S <= got <= want + LATE_S, (intervals, expected)
    assert receiver.arrived(path) == 7  # max_attempts counts the first attempt


def test_retry_after_on_503_is_honoured(
    client: tasks_v2.CloudTasksClient, location: str, receiver: HttpReceiver
) -> None:
    queue = make_queue(client, location, retry_config=fast_retries(5, 0.1, 0.1, doublings=0))
    path = f"/busy-{uuid.uuid4().hex}"
    receiver.responder = lambda request: (
        answer(503, {"Retry-After": "1"}) if request.attempt == 0 else answer(200)
    )
    add_task(client, queue, receiver.url + path)

    first, second = reached(receiver, path, 2, timeout_s=5)

    assert 1.0 - EARLY_S <= second.received_at - first.received_at <= 1.0 + LATE_S


def test_schedule_time_is_honoured(
    client: tasks_v2.CloudTasksClient, location: str, receiver: HttpReceiver
) -> None:
    queue = make_queue(client, location)
    path = f"/later-{uuid.uuid4().hex}"
    created_at = time.monotonic()
    add_task(
        client,
        queue,
        receiver.url + path,
        schedule_time=datetime.now(UTC) + timedelta(seconds=1),
    )

    [arrival] = reached(receiver, path, 1, timeout_s=5)

    assert 1.0 - EARLY_S <= arrival.received_at - created_at <= 1.0 + LATE_S


def _gone(client: tasks_v2.CloudTasksClient, name: str) -> bool:
    try:
        client.get_task(name=name)
    except exceptions.NotFound:
        return True
    return False


def test_task_names_are_deduplicated_even_after_the_task_ran_or_was_deleted(
    client: tasks_v2.CloudTasksClient, location: str, receiver: HttpReceiver
) -> None:
    queue = make_queue(client, location)
    path = f"/once-{uuid.uuid4().hex}"
    add_task(client, queue, receiver.url + path, task_id="run-7-step-1")
    with pytest.raises(exceptions.AlreadyExists):
        add_task(client, queue, receiver.url + path, task_id="run-7-step-1")

    reached(receiver, path, 1, timeout_s=5)
    eventually(lambda: _gone(client, f"{queue}/tasks/run-7-step-1"))
    with pytest.raises(exceptions.AlreadyExists):
        add_task(client, queue, receiver.url + path, task_id="run-7-step-1")

    client.pause_queue(name=queue)
    deleted = add_task(client, queue, receiver.url + path, task_id="run-7-step-2")
    client.delete_task(name=deleted.name)
    with pytest.raises(exceptions.AlreadyExists):
        add_task(client, queue, receiver.url + path, task_id="run-7-step-2")
    with pytest.raises(exceptions.NotFound):
        client.delete_task(name=deleted.name)
    assert receiver.arrived(path) == 1


def test_attempt_fields_and_run_task(
    client: tasks_v2.CloudTasksClient, location: str, receiver: HttpReceiver
) -> None:
    queue = make_queue(client, location, retry_config=fast_retries(10, 30, 30, doublings=0))
    path = f"/flaky-{uuid.uuid4().hex}"
    receiver.responder = lambda request: answer(404 if request.attempt == 0 else 200)
    task = add_task(client, queue, receiver.url + path)

    reached(receiver, path, 1, timeout_s=5)
    eventually(lambda: client.get_task(name=task.name).response_count == 1)
    failed = client.get_task(name=task.name)
    assert failed.dispatch_count == 1
    assert failed.first_attempt.dispatch_time is not None
    assert failed.last_attempt.response_status.code == grpc.StatusCode.NOT_FOUND.value[0]
    retry_in = failed.schedule_time.timestamp() - time.time()
    assert 25 < retry_in <= 30

    ran = client.run_task(name=task.name)
    assert ran.dispatch_count == 2
    second = reached(receiver, path, 2, timeout_s=5)[1]
    assert second.headers["x-cloudtasks-taskretrycount"] == "1"
    assert second.headers["x-cloudtasks-taskexecutioncount"] == "1"
    assert second.headers["x-cloudtasks-taskpreviousresponse"] == "404"
    eventually(lambda: _gone(client, task.name))
    with pytest.raises(exceptions.NotFound):
        client.run_task(name=task.name)
