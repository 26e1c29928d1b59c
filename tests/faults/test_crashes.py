"""Crashes: ``kill -9`` of the executor and of each function at seeded random moments while runs
are in flight, each restarted at once on its port. Cloud Tasks retries the tasks whose request
was cut, Pub/Sub redelivers the pushes that were never acknowledged, and a lease whose holder
died expires, so the work it guarded is taken up again. What no retry heals (the Pub/Sub
emulator gives up on pushes its consumer refused while it was down; a task whose last attempt
died with the executor is gone) the sweeper does
(:mod:`shared.pipeline.sweeper`), run here every few seconds as Cloud Scheduler would run it
every minute. Every run must reach ``delivered``, each with one delivery at the receiver."""

from __future__ import annotations

import os
import threading
import time

import pytest

from emulators.services import FUNCTIONS
from tests.faults.harness import FaultStack, fleet, seeded, sweeping, wait_terminal

RUNS = int(os.environ.get("SWITCHYARD_FAULT_RUNS") or 100)
AGENTS = 5
EXTRA_KILLS = 6  # on top of one kill of every service
KILL_WINDOW_S = 40.0  # the burst of runs is in flight for about this long
# The last attempt of a task whose copy died holding a lease waits for the lease to expire:
# the model step's 60 s limit + 30 s (shared/pipeline/leases.py), after ~15 s of backoff.
SETTLE_S = 240.0
SERVICES = ("executor", *FUNCTIONS)


@pytest.mark.timeout(SETTLE_S + 120)
def test_killed_and_restarted_services_lose_no_run_and_deliver_none_twice(
    fault_stack: FaultStack,
) -> None:
    rng = seeded("crashes")
    victims = [*SERVICES, *rng.choices(SERVICES, k=EXTRA_KILLS)]
    rng.shuffle(victims)
    moments = sorted(rng.uniform(0.5, KILL_WINDOW_S) for _ in victims)
    print("kills:", [f"{name}@{at:.1f}s" for name, at in zip(victims, moments, strict=True)])
    with fleet(fault_stack, AGENTS) as probes:
        started = time.monotonic()
        failures: list[BaseException] = []

        def kill_all() -> None:
            try:
                for name, at in zip(victims, moments, strict=True):
                    time.sleep(max(0.0, started + at - time.monotonic()))
                    fault_stack.restart(name)
            except BaseException as error:  # reported by the test thread
                failures.append(error)

        killer = threading.Thread(target=kill_all)
        killer.start()
        run_ids = probes.start_runs(fault_stack.deps, RUNS)
        killer.join()
        assert not failures, f"a restart failed: {failures[0]!r}"

        with sweeping(fault_stack.deps) as republished:
            runs = wait_terminal(fault_stack.deps, run_ids, SETTLE_S)
        print(f"the sweeper republished or resumed {len(set(republished))} stalled runs")
        time.sleep(5.0)  # duplicates of the last deliveries may still be landing
        not_delivered = {r: (run.status.value, run.error) for r, run in runs.items()
                         if run.status.value != "delivered"}  # fmt: skip
        assert not not_delivered, f"runs not delivered: {not_delivered}"
        deliveries = probes.deliveries()
        twice = {run_id: deliveries[run_id] for run_id in runs if deliveries[run_id] != 1}
        assert not twice, f"runs not delivered exactly once at the receiver: {twice}"
        # A kill between a tool's answer and its stored result repeats the call (with the same
        # Idempotency-Key): at least once, by design. Shown, not asserted.
        calls, models = probes.tool_calls(), fault_stack.model_calls()
        print("runs with a repeated tool call:", sum(calls[r] > 1 for r in runs),
              "with a repeated model call:", sum(models[r] > 2 for r in runs))  # fmt: skip
