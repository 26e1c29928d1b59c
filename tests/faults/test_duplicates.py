"""Duplicate delivery at scale: every Pub/Sub message pushed N times (N - 1 twin push
subscriptions per subscription) and every Cloud Task attempt dispatched N times (the emulator's
``--duplicate-dispatches N``), for N = 2 (copies one after another) and N = 3 (copies at once).
Every run still ends ``delivered``, with one webhook delivery, one tool call and two model calls.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.cloud.pubsub_v1 import SubscriberClient

from shared import resources
from tests.faults.harness import (
    FaultStack,
    assert_exactly_once,
    fleet,
    private_stack,
    sweeping,
    wait_terminal,
)

RUNS_PER_STACK = int(os.environ.get("SWITCHYARD_FAULT_RUNS") or 100)  # 200 in all
AGENTS = 5
TIMEOUT_S = 240.0


@pytest.fixture(scope="module", params=[(2, "sequential"), (3, "concurrent")], ids=str)
def duplicating_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultStack]:
    """A private stack delivering every message and task ``copies`` times."""
    copies, mode = request.param
    state_dir: Path = tmp_path_factory.mktemp(f"duplicates-{copies}")
    with private_stack(state_dir, copies, concurrent=mode == "concurrent") as started:
        twin_subscriptions(started, copies - 1)
        yield started


def twin_subscriptions(fault_stack: FaultStack, twins: int) -> None:
    """``twins`` more push subscriptions per pipeline subscription, to the same endpoint."""
    subscriber = SubscriberClient()
    for declared in resources.SUBSCRIPTIONS:
        path = subscriber.subscription_path(fault_stack.settings.project_id, declared.name)
        original = subscriber.get_subscription(subscription=path)
        for _ in range(twins):
            subscriber.create_subscription(
                request={
                    "name": f"{original.name}-twin-{uuid.uuid4().hex[:6]}",
                    "topic": original.topic,
                    "push_config": original.push_config,
                    "ack_deadline_seconds": original.ack_deadline_seconds,
                }
            )


@pytest.mark.timeout(TIMEOUT_S + 120)
def test_every_message_and_task_delivered_n_times_has_one_effect_per_run(
    duplicating_stack: FaultStack,
) -> None:
    # The sweeper runs as Cloud Scheduler would run it: the emulator sometimes stops pushing a
    # subscription's messages that its endpoint once refused, and the sweeper is how the
    # platform moves such runs again (by republishing: one more duplicate to absorb).
    with fleet(duplicating_stack, AGENTS) as probes, sweeping(duplicating_stack.deps):
        run_ids = probes.start_runs(duplicating_stack.deps, RUNS_PER_STACK)
        runs = wait_terminal(duplicating_stack.deps, run_ids, TIMEOUT_S)
        assert_exactly_once(duplicating_stack, probes, runs)
