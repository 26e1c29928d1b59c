"""Dependencies failing under load: an emulator frozen for 10 s, a tool target answering 500 and
then recovering, one answering 429 with ``Retry-After``, and a model that never answers in time.
Runs retry within their limits and finish, or fail with a clear reason; none is lost.

An emulator is made unreachable by SIGSTOP of its whole process group, then SIGCONT: it keeps its
in-memory state (stopping and restarting it would lose every topic and document), while every
request to it hangs as on a network partition.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from emulators.http_receiver import ReceivedRequest
from examples.scenario import PAGES
from tests.faults.harness import FaultStack, Fleet, fleet, wait_terminal

RUNS = 30
AGENTS = 3
FROZEN_S = 10.0
TIMEOUT_S = 180.0


@contextmanager
def frozen(fault_stack: FaultStack, component: str, after_s: float) -> Iterator[None]:
    """SIGSTOP ``component``'s process group ``after_s`` seconds into the block, for 10 s."""
    pgid = fault_stack.pgid(component)

    def freeze() -> None:
        time.sleep(after_s)
        os.killpg(pgid, signal.SIGSTOP)
        try:
            time.sleep(FROZEN_S)
        finally:
            os.killpg(pgid, signal.SIGCONT)

    thread = threading.Thread(target=freeze)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def finished_or_failed_with_reason(
    probes: Fleet, fault_stack: FaultStack, timeout_s: float
) -> dict[str, str]:
    """Wait for every run; returns run id → final status, failing on one without a reason."""
    runs = wait_terminal(fault_stack.deps, probes.run_ids, timeout_s)
    unexplained = {
        r: run.status.value
        for r, run in runs.items()
        if run.status.value != "delivered" and not (run.error and run.error.message)
    }
    assert not unexplained, f"runs stopped without a reason: {unexplained}"
    twice = {r: n for r, n in probes.deliveries().items() if n > 1}
    assert not twice, f"runs delivered more than once: {twice}"
    return {r: run.status.value for r, run in runs.items()}


@pytest.mark.parametrize("component", ["pubsub", "firestore"])
@pytest.mark.timeout(TIMEOUT_S + 120)
def test_an_emulator_frozen_for_ten_seconds_mid_load_loses_no_run(
    fault_stack: FaultStack, component: str
) -> None:
    with fleet(fault_stack, AGENTS) as probes:
        with frozen(fault_stack, component, after_s=2.0):
            probes.start_runs(fault_stack.deps, RUNS)
        final = finished_or_failed_with_reason(probes, fault_stack, TIMEOUT_S)
    # Nothing here is past a retry limit: 10 s is within every queue's and subscription's
    # retries, so every run is delivered.
    assert set(final.values()) == {"delivered"}, final


def failing_first(status: int, count: int, headers: dict[str, str]) -> object:
    """A pages responder answering ``status`` to the first ``count`` requests, then the page."""
    answered = {"n": 0}
    lock = threading.Lock()

    def respond(request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
        with lock:
            answered["n"] += 1
            failing = answered["n"] <= count
        if failing:
            return status, headers, b"try later"
        return 200, {"content-type": "text/html"}, PAGES[request.path].encode()

    return respond


# Longer than the tool queue's first backoffs (1 s, then 2 s), so a retry that waited this long
# waited for the target's Retry-After.
RETRY_AFTER_S = 4


@pytest.mark.parametrize(
    ("status", "headers"),
    [(500, {}), (429, {"Retry-After": str(RETRY_AFTER_S)})],
    ids=["500", "429"],
)
@pytest.mark.timeout(TIMEOUT_S + 120)
def test_a_tool_target_failing_then_recovering_delivers_every_run(
    fault_stack: FaultStack, status: int, headers: dict[str, str]
) -> None:
    with fleet(fault_stack, AGENTS) as probes:
        probes.world.pages.responder = failing_first(status, RUNS, headers)  # type: ignore[assignment]
        probes.start_runs(fault_stack.deps, RUNS)
        final = finished_or_failed_with_reason(probes, fault_stack, TIMEOUT_S)
        fetches = probes.tool_calls()
        requests = list(probes.world.pages.requests)
    assert set(final.values()) == {"delivered"}, final
    assert sum(fetches.values()) >= 2 * RUNS  # the failures were retried
    assert all(fetches[r] <= 5 for r in final), fetches  # within the queue's max_attempts
    if headers:  # each call's next attempt waited for the target's Retry-After
        gaps = retry_gaps(requests, failed=RUNS)
        assert gaps and min(gaps) >= RETRY_AFTER_S - 0.5, sorted(gaps)[:5]


def retry_gaps(requests: list[ReceivedRequest], failed: int) -> list[float]:
    """Seconds from each of the first ``failed`` requests to the next one of the same tool call
    (same ``Idempotency-Key``)."""
    gaps = []
    for index, first in enumerate(requests[:failed]):
        key = first.headers.get("idempotency-key")
        retry = next(
            (r for r in requests[index + 1 :] if r.headers.get("idempotency-key") == key), None
        )
        if retry is not None:
            gaps.append(retry.received_at - first.received_at)
    return gaps


@pytest.mark.timeout(TIMEOUT_S + 120)
def test_a_model_that_never_answers_in_time_fails_runs_with_the_reason(
    fault_stack: FaultStack,
) -> None:
    # timeout_s 5 makes each model call's limit 5 s (conversation.model_timeout_s); the
    # emulator answers after 8 s, so every attempt times out.
    with fleet(fault_stack, 1, model_delay_s=8.0, timeout_s=5) as probes:
        probes.start_runs(fault_stack.deps, 5)
        runs = wait_terminal(fault_stack.deps, probes.run_ids, TIMEOUT_S)
        alerted = probes.world.alerts.wait_for(len(runs), timeout_s=30)
    for run in runs.values():
        assert run.status.value == "failed", run
        assert run.error and run.error.code in {"model_timeout", "timeout"}, run.error
    assert len(alerted) >= len(runs)
    assert probes.deliveries() == {}
