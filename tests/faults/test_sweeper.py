"""The sweeper on the local stack: a run whose message was lost is moved again, a run stalled
past its time limit is failed with the reason, and runs that are moving are left alone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from shared.domain.runs import Run, RunStatus
from shared.pipeline.sweeper import sweep
from tests.faults.harness import FaultStack, Fleet, fleet, wait_terminal


@pytest.fixture(scope="module")
def probes(fault_stack: FaultStack) -> Iterator[Fleet]:
    with fleet(fault_stack, agents=1, timeout_s=60) as made:
        yield made


def lost_run(fault_stack: FaultStack, probes: Fleet, age_s: float) -> Run:
    """A ``requested`` run created ``age_s`` seconds ago whose message was never published."""
    deps = fault_stack.deps
    agent = deps.agents.get_agent(probes.org_id, probes.agent_ids[0])
    then = deps.clock() - timedelta(seconds=age_s)
    return deps.runs.create_run(
        Run(
            run_id=uuid.uuid4().hex, org_id=probes.org_id, agent_id=agent.agent_id,
            agent_version=agent.latest_version, input={}, created_at=then, updated_at=then,
        )
    )  # fmt: skip


def test_a_run_whose_message_was_lost_is_republished_and_delivered(
    fault_stack: FaultStack, probes: Fleet
) -> None:
    lost = lost_run(fault_stack, probes, age_s=30)
    fresh = lost_run(fault_stack, probes, age_s=0)

    report = sweep(fault_stack.deps, stalled_after_s=10)

    assert lost.run_id in report.republished
    assert fresh.run_id not in report.republished + report.failed  # not stalled yet
    assert wait_terminal(fault_stack.deps, [lost.run_id], 60)[lost.run_id].status.value == (
        "delivered"
    )
    assert fault_stack.deps.runs.get_run(fresh.run_id).status is RunStatus.REQUESTED
    assert probes.deliveries()[lost.run_id] == 1


def test_a_run_stalled_past_its_time_limit_is_failed_with_the_reason(
    fault_stack: FaultStack, probes: Fleet
) -> None:
    late = lost_run(fault_stack, probes, age_s=60 + 11)  # limits.timeout_s 60, stalled after 10

    report = sweep(fault_stack.deps, stalled_after_s=10)

    assert late.run_id in report.failed
    failed = fault_stack.deps.runs.get_run(late.run_id)
    assert failed.status is RunStatus.FAILED
    assert failed.error and failed.error.code == "timeout"
    assert "requested" in failed.error.message and "timeout_s=60" in failed.error.message
    alerts = probes.world.alerts.wait_for(1, timeout_s=30)
    assert any(late.run_id.encode() in alert.body for alert in alerts)
    assert sweep(fault_stack.deps, stalled_after_s=10).failed.count(late.run_id) == 0


def test_a_running_run_whose_step_task_was_lost_is_resumed_and_delivered(
    fault_stack: FaultStack, probes: Fleet
) -> None:
    lost = lost_run(fault_stack, probes, age_s=30)
    runs = fault_stack.deps.runs
    runs.transition(lost.run_id, RunStatus.APPROVED, expected={RunStatus.REQUESTED})
    runs.transition(lost.run_id, RunStatus.RUNNING, expected={RunStatus.APPROVED})
    # The moves stamped the run now: it looks stalled to a sweep that waits 0 s.

    report = sweep(fault_stack.deps, stalled_after_s=0)

    assert lost.run_id in report.resumed
    assert wait_terminal(fault_stack.deps, [lost.run_id], 60)[lost.run_id].status.value == (
        "delivered"
    )
    assert probes.deliveries()[lost.run_id] == 1
    assert probes.tool_calls()[lost.run_id] == 1
