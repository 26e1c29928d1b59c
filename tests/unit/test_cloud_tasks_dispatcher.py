"""The dispatcher's fault injection: every attempt sent ``copies`` times, the first copy decides;
the copies go one after another or, with ``concurrent_copies``, at the same time.

The workers' HTTP goes to an ``httpx.MockTransport``, so no socket is opened.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from google.cloud import tasks_v2

from emulators.cloud_tasks.__main__ import parse_args
from emulators.cloud_tasks.dispatcher import Dispatcher
from emulators.cloud_tasks.store import TaskStore

LOCATION = "projects/demo/locations/europe-west1"
QUEUE = f"{LOCATION}/queues/tool-http-fetch"
BASIC = tasks_v2.Task.View.BASIC


class Target:
    """A mock HTTP target: answers from a script, records each request, tracks concurrency."""

    def __init__(self, statuses: list[int], latency_s: float = 0.0) -> None:
        self.statuses = statuses  # answered in order; the last one repeats
        self.latency_s = latency_s
        self.requests: list[httpx.Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            status = self.statuses[min(len(self.requests), len(self.statuses) - 1)]
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        time.sleep(self.latency_s)  # the handler's work, so concurrent requests overlap
        with self._lock:
            self.in_flight -= 1
        return httpx.Response(status)

    def retry_counts(self) -> list[str]:
        return [r.headers["X-CloudTasks-TaskRetryCount"] for r in self.requests]


@contextmanager
def dispatching(
    target: Target, copies: int, concurrent_copies: bool = False, **queue: object
) -> Iterator[TaskStore]:
    store = TaskStore()
    store.create_queue(
        LOCATION,
        tasks_v2.Queue(
            name=QUEUE,
            retry_config=tasks_v2.RetryConfig(max_attempts=5, min_backoff={"seconds": 0}),
            **queue,
        ),
    )
    dispatcher = Dispatcher(
        store,
        workers=4,
        copies=copies,
        transport=httpx.MockTransport(target),
        concurrent_copies=concurrent_copies,
    )
    dispatcher.start()
    try:
        yield store
    finally:
        dispatcher.stop()


def add_task(store: TaskStore) -> str:
    task = tasks_v2.Task(http_request=tasks_v2.HttpRequest(url="http://target.test/tasks/x"))
    return str(store.create_task(QUEUE, task, BASIC).name)


def eventually(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def queue_is_empty(store: TaskStore) -> bool:
    return not store.list_tasks(QUEUE, BASIC, 0, "")[0]


@pytest.mark.parametrize(
    ("statuses", "retry_counts"),
    [
        ([204], ["0", "0", "0"]),  # done after one attempt of three copies
        ([204, 503], ["0", "0", "0"]),  # later copies failing change nothing
        ([503, 204], ["0", "0", "0", "1", "1", "1"]),  # the first copy failed: retried
    ],
    ids=["all-succeed", "first-succeeds", "first-fails"],
)
def test_every_attempt_is_sent_copies_times_and_the_first_copy_decides(
    statuses: list[int], retry_counts: list[str]
) -> None:
    target = Target(statuses)
    with dispatching(target, copies=3) as store:
        name = add_task(store)
        eventually(lambda: queue_is_empty(store) and len(target.requests) >= len(retry_counts))

    assert target.retry_counts() == retry_counts
    assert {r.headers["X-CloudTasks-TaskName"] for r in target.requests} == {name.split("/")[-1]}
    assert len({r.content for r in target.requests}) == 1  # the same request each time


def test_copies_hold_the_attempts_concurrency_slot() -> None:
    target = Target([204], latency_s=0.02)
    limits = tasks_v2.RateLimits(max_concurrent_dispatches=1, max_dispatches_per_second=500)
    with dispatching(target, copies=2, rate_limits=limits) as store:
        for _ in range(3):
            add_task(store)
        eventually(lambda: queue_is_empty(store) and len(target.requests) >= 6)

    assert len(target.requests) == 6
    assert target.max_in_flight == 1


def test_concurrent_copies_of_an_attempt_overlap_at_the_target() -> None:
    target = Target([204], latency_s=0.1)
    with dispatching(target, copies=3, concurrent_copies=True) as store:
        add_task(store)
        eventually(lambda: queue_is_empty(store) and len(target.requests) >= 3)

    assert target.retry_counts() == ["0", "0", "0"]  # one attempt, three copies
    assert target.max_in_flight == 3  # all at once


def test_a_failed_first_copy_among_concurrent_ones_retries_the_attempt() -> None:
    target = Target([503])
    with dispatching(target, copies=2, concurrent_copies=True) as store:
        add_task(store)
        eventually(lambda: queue_is_empty(store))  # after max_attempts=5 attempts

    assert target.retry_counts() == [str(n) for n in range(5) for _copy in range(2)]


def test_without_the_option_each_attempt_is_sent_once() -> None:
    target = Target([204])
    with dispatching(target, copies=1) as store:
        add_task(store)
        eventually(lambda: queue_is_empty(store) and len(target.requests) >= 1)

    assert target.retry_counts() == ["0"]


def test_the_command_line_option_defaults_to_one_and_refuses_less() -> None:
    def parse(*argv: str) -> int:
        return int(parse_args(list(argv)).duplicate_dispatches)

    def mode(*argv: str) -> str:
        return str(parse_args(list(argv)).duplicate_dispatch_mode)

    assert parse() == 1
    assert parse("--duplicate-dispatches", "2") == 2
    assert mode() == "sequential"
    assert mode("--duplicate-dispatch-mode", "concurrent") == "concurrent"
    with pytest.raises(SystemExit):
        parse("--duplicate-dispatches", "0")
    with pytest.raises(SystemExit):
        mode("--duplicate-dispatch-mode", "interleaved")
    with pytest.raises(ValueError, match="at least 1"):
        Dispatcher(TaskStore(), copies=0)
