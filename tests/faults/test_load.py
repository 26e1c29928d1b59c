"""Load: a burst of runs across 20 agents reaches a terminal state, none lost, and no service
logs a Firestore transaction that gave up on contention (a hot document).

The agents answer without a tool call, so the burst is bounded by the pipeline's own stages
and the ``model-steps`` queue (10 dispatches a second), not by one tool queue's rate limit.
"""

from __future__ import annotations

import os
import re

import pytest

from emulators.services import FUNCTIONS
from tests.faults.harness import FaultStack, fleet, wait_terminal

RUNS = int(os.environ.get("SWITCHYARD_FAULT_LOAD_RUNS") or 500)
AGENTS = 20
TIMEOUT_S = 240.0
SERVICES = ("api", "executor", *FUNCTIONS)
# What shared/adapters/firestore_support.py raises when every attempt of a transaction was
# aborted, and what Firestore says when it aborts one.
CONTENTION = re.compile(r"firestore_contention|transaction aborted|Too much contention|ABORTED")


@pytest.mark.timeout(TIMEOUT_S + 180)
def test_a_burst_of_runs_across_twenty_agents_all_finish_without_contention(
    fault_stack: FaultStack,
) -> None:
    before = {name: len(fault_stack.log(name)) for name in SERVICES}
    with fleet(fault_stack, AGENTS, with_tool=False) as probes:
        run_ids = probes.start_runs(fault_stack.deps, RUNS, workers=16)
        runs = wait_terminal(fault_stack.deps, run_ids, TIMEOUT_S)
        deliveries = probes.deliveries()
    not_delivered = {
        r: run.status.value for r, run in runs.items() if run.status.value != "delivered"
    }
    assert not not_delivered, f"runs not delivered: {not_delivered}"
    assert {deliveries[r] for r in runs} == {1}, "a run was delivered other than once"
    contended = {
        name: [line for line in fault_stack.log(name)[before[name] :].splitlines()
               if CONTENTION.search(line)][:3]
        for name in SERVICES
    }  # fmt: skip
    assert not any(contended.values()), f"transaction contention in the logs: {contended}"
