"""The Cloud Tasks emulator's state machine, driven by a fake clock (no threads, no network)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.cloud import tasks_v2
from google.protobuf import field_mask_pb2

from emulators.cloud_tasks.delivery import Outcome
from emulators.cloud_tasks.queue_state import Claim
from emulators.cloud_tasks.store import TaskStore
from emulators.grpc_service import RpcError

LOCATION = "projects/demo/locations/europe-west1"
QUEUE = f"{LOCATION}/queues/tool-http-fetch"
BASIC = tasks_v2.Task.View.BASIC

OK = Outcome(200, grpc.StatusCode.OK, "OK")
FAILED = Outcome(500, grpc.StatusCode.INTERNAL, "HTTP 500")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> TaskStore:
    return TaskStore(dedup_window_s=60, clock=clock)


def make_queue(store: TaskStore, **settings: object) -> tasks_v2.Queue:
    return store.create_queue(LOCATION, tasks_v2.Queue(name=QUEUE, **settings))


def add_task(store: TaskStore, task_id: str | None = None, **fields: object) -> tasks_v2.Task:
    task = tasks_v2.Task(http_request=tasks_v2.HttpRequest(url="http://127.0.0.1:9/t"), **fields)
    if task_id:
        task.name = f"{QUEUE}/tasks/{task_id}"
    return store.create_task(QUEUE, task, BASIC)


def start_due(store: TaskStore, limit: int = 100) -> tuple[list[Claim], float | None]:
    with store.changed:
        return store.start_due(limit)


@contextlib.contextmanager
def raises(code: grpc.StatusCode) -> Iterator[None]:
    with pytest.raises(RpcError) as caught:
        yield
    assert caught.value.code == code


def test_new_queue_reports_googles_defaults(store: TaskStore) -> None:
    queue = make_queue(store)

    assert queue.state == tasks_v2.Queue.State.RUNNING
    assert (
        queue.rate_limits.max_dispatches_per_second,
        queue.rate_limits.max_burst_size,
        queue.rate_limits.max_concurrent_dispatches,
    ) == (500, 100, 1000)
    retry = queue.retry_config
    assert (retry.max_attempts, retry.max_doublings) == (100, 16)
    assert (retry.min_backoff, retry.max_backoff, retry.max_retry_duration) == (
        timedelta(seconds=0.1),
        timedelta(seconds=3600),
        timedelta(0),
    )
    assert store.get_queue(QUEUE) == queue


def test_queue_errors_are_googles(store: TaskStore) -> None:
    make_queue(store)

    with raises(grpc.StatusCode.ALREADY_EXISTS):
        make_queue(store)
    with raises(grpc.StatusCode.NOT_FOUND):
        store.get_queue(f"{LOCATION}/queues/missing")
    with raises(grpc.StatusCode.INVALID_ARGUMENT):
        store.create_queue(LOCATION, tasks_v2.Queue(name=f"{LOCATION}/queues/bad_name"))
    with raises(grpc.StatusCode.INVALID_ARGUMENT):
        make_queue(store, rate_limits=tasks_v2.RateLimits(max_dispatches_per_second=501))


def test_update_changes_only_masked_fields_and_ignores_output_only_ones(store: TaskStore) -> None:
    make_queue(store, rate_limits=tasks_v2.RateLimits(max_concurrent_dispatches=7))
    patch = tasks_v2.Queue(
        name=QUEUE,
        state=tasks_v2.Queue.State.PAUSED,
        rate_limits=tasks_v2.RateLimits(max_dispatches_per_second=3, max_concurrent_dispatches=1),
    )

    updated = store.update_queue(
        patch, field_mask_pb2.FieldMask(paths=["rate_limits.max_dispatches_per_second", "state"])
    )

    assert updated.rate_limits.max_dispatches_per_second == 3
    assert updated.rate_limits.max_burst_size == 3
    assert updated.rate_limits.max_concurrent_dispatches == 7
    assert updated.state == tasks_v2.Queue.State.RUNNING
    with raises(grpc.StatusCode.INVALID_ARGUMENT):
        store.update_queue(patch, field_mask_pb2.FieldMask(paths=["no_such_field"]))


def test_masking_a_whole_message_resets_its_unset_fields_to_defaults(store: TaskStore) -> None:
    make_queue(
        store,
        rate_limits=tasks_v2.RateLimits(max_dispatches_per_second=9, max_concurrent_dispatches=7),
    )
    patch = tasks_v2.Queue(name=QUEUE, rate_limits=tasks_v2.RateLimits(max_dispatches_per_second=2))

    updated = store.update_queue(patch, field_mask_pb2.FieldMask(paths=["rate_limits"]))

    assert updated.rate_limits.max_dispatches_per_second == 2
    assert updated.rate_limits.max_concurrent_dispatches == 1000


def test_update_creates_a_missing_queue(store: TaskStore) -> None:
    created = store.update_queue(tasks_v2.Queue(name=QUEUE), field_mask_pb2.FieldMask())

    assert store.get_queue(QUEUE) == created


def test_list_queues_pages_in_name_order(store: TaskStore) -> None:
    names = [f"{LOCATION}/queues/q-{i}" for i in (3, 1, 4, 0, 2)]
    for name in names:
        store.create_queue(LOCATION, tasks_v2.Queue(name=name))

    seen, token = [], ""
    for _ in range(3):
        queues, token = store.list_queues(LOCATION, "", 2, token)
        seen += [queue.name for queue in queues]

    assert seen == sorted(names)
    assert token == ""
    with raises(grpc.StatusCode.INVALID_ARGUMENT):
        store.list_queues(LOCATION, "", 2, "not a token!")
    with raises(grpc.StatusCode.INVALID_ARGUMENT):
        store.list_queues(LOCATION, "", -1, "")


def test_task_names_are_refused_while_they_exist_and_for_the_window(
    store: TaskStore, clock: FakeClock
) -> None:
    make_queue(store)
    add_task(store, "call-1")
    with raises(grpc.StatusCode.ALREADY_EXISTS):
        add_task(store, "call-1")

    store.delete_task(f"{QUEUE}/tasks/call-1")
    clock.now += 59
    with raises(grpc.StatusCode.ALREADY_EXISTS):
        add_task(store, "call-1")

    clock.now += 1
    assert add_task(store, "call-1").name == f"{QUEUE}/tasks/call-1"


def test_a_task_that_ran_keeps_its_name_taken(store: TaskStore) -> None:
    make_queue(store)
    add_task(store, "call-1")
    [claim], _ = start_due(store)
    store.finish(claim, OK)

    with raises(grpc.StatusCode.NOT_FOUND):
        store.get_task(f"{QUEUE}/tasks/call-1", BASIC)
    with raises(grpc.StatusCode.ALREADY_EXISTS):
        add_task(store, "call-1")


def test_generated_task_ids_are_unique(store: TaskStore) -> None:
    make_queue(store)

    assert add_task(store).name != add_task(store).name


def test_tasks_wait_for_their_schedule_time(store: TaskStore, clock: FakeClock) -> None:
    make_queue(store)
    later = datetime.fromtimestamp(clock.now + 30, UTC)
    add_task(store, schedule_time=later)

    claims, wake_at = start_due(store)
    assert (claims, wake_at) == ([], clock.now + 30)

    clock.now += 30
    assert len(start_due(store)[0]) == 1


def test_paused_queues_do_not_dispatch_but_run_task_does(store: TaskStore) -> None:
    make_queue(store)
    task = add_task(store)
    store.set_state(QUEUE, tasks_v2.Queue.State.PAUSED)

    assert start_due(store) == ([], None)
    claim, dispatched = store.run_task(task.name, BASIC)
    assert dispatched.dispatch_count == 1
    assert claim.dispatch.task_name == task.name

    store.set_state(QUEUE, tasks_v2.Queue.State.RUNNING)
    assert start_due(store) == ([], None)  # the forced attempt is still in flight


def test_dispatch_respects_concurrency_and_tokens(store: TaskStore, clock: FakeClock) -> None:
    make_queue(
        store,
        rate_limits=tasks_v2.RateLimits(max_dispatches_per_second=2, max_concurrent_dispatches=3),
    )
    for _ in range(6):
        add_task(store)

    first, wake_at = start_due(store)
    assert len(first) == 2  # the burst
    assert wake_at == pytest.approx(clock.now + 0.5)

    clock.now += 10
    second, wake_at = start_due(store)
    assert (len(second), wake_at) == (1, None)  # 3 in flight: only a finish frees a slot

    store.finish(first[0], OK)
    assert len(start_due(store)[0]) == 1
    assert len(start_due(store, limit=0)[0]) == 0


def test_failures_retry_on_the_backoff_schedule_then_drop(
    store: TaskStore, clock: FakeClock
) -> None:
    retry = tasks_v2.RetryConfig(
        max_attempts=4,
        min_backoff=timedelta(seconds=1),
        max_backoff=timedelta(seconds=10),
        max_doublings=1,
    )
    make_queue(store, retry_config=retry)
    task = add_task(store)
    waits = []
    for _ in range(3):
        [claim], _ = start_due(store)
        store.finish(claim, FAILED)
        _, wake_at = start_due(store)
        assert wake_at is not None
        waits.append(wake_at - clock.now)
        clock.now = wake_at

    stored = store.get_task(task.name, BASIC)
    assert waits == [1, 2, 4]
    assert (stored.dispatch_count, stored.response_count) == (3, 3)
    assert stored.first_attempt.dispatch_time is not None
    assert stored.last_attempt.response_status.code == grpc.StatusCode.INTERNAL.value[0]

    [claim], _ = start_due(store)
    store.finish(claim, FAILED)
    with raises(grpc.StatusCode.NOT_FOUND):
        store.get_task(task.name, BASIC)


def test_retry_after_postpones_the_retry(store: TaskStore, clock: FakeClock) -> None:
    make_queue(store)
    add_task(store)
    [claim], _ = start_due(store)

    store.finish(claim, Outcome(503, grpc.StatusCode.UNAVAILABLE, "HTTP 503", retry_after_s=7))

    assert start_due(store)[1] == pytest.approx(clock.now + 7)


def test_purge_and_delete_queue_drop_tasks_and_ignore_attempts_in_flight(
    store: TaskStore,
) -> None:
    make_queue(store)
    add_task(store, "call-1")
    add_task(store, "call-2")
    [claim, _], _ = start_due(store)

    purged = store.purge_queue(QUEUE)
    store.finish(claim, FAILED)

    assert store.list_tasks(QUEUE, BASIC, 0, "") == ([], "")
    assert "purge_time" in purged
    with raises(grpc.StatusCode.ALREADY_EXISTS):
        add_task(store, "call-2")
    store.delete_queue(QUEUE)
    with raises(grpc.StatusCode.NOT_FOUND):
        add_task(store)


def test_a_task_retry_config_overrides_the_queues(store: TaskStore, clock: FakeClock) -> None:
    make_queue(store)
    task = add_task(
        store, retry_config=tasks_v2.RetryConfig(max_attempts=2, min_backoff=timedelta(seconds=5))
    )

    [claim], _ = start_due(store)
    store.finish(claim, FAILED)
    assert start_due(store)[1] == pytest.approx(clock.now + 5)

    clock.now += 5
    [claim], _ = start_due(store)
    store.finish(claim, FAILED)
    with raises(grpc.StatusCode.NOT_FOUND):
        store.get_task(task.name, BASIC)
