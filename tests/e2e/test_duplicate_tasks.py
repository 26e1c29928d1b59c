"""At-least-once on the local stack: every Cloud Task delivered twice gives one run's worth of model
calls, tool calls and one delivery, whether the two copies follow each other or run at once.

Cloud Tasks may run a task more than once, and the emulator can be told to send every attempt
twice (``--duplicate-dispatches 2``), one copy after the other or both at the same time
(``--duplicate-dispatch-mode``), but only when it starts. So this module starts a private stack
per mode, one after the other, and overrides the ``stack`` and ``deps`` fixtures for its own
tests: ``tenant`` and ``world`` (tests/e2e/conftest.py) then build on the private stack. Google's
clients read their emulator variables from the environment, so the private stack's exports are
set for as long as it runs.
"""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulators import stack as local_stack
from examples.scenario import PRICE_MONITOR, OutsideWorld
from shared.adapters.cloud_tasks_queue import task_name_id
from shared.composition import Dependencies, build_dependencies
from shared.pipeline.delivery import delivery_id
from shared.pipeline.execution import model_step_task_id, tool_call_task_id
from shared.settings import Settings
from tests.e2e.conftest import Tenant
from tests.e2e.test_examples import run_to_end

COPIES = 2

# What the emulator logs for every copy it sends (emulators/cloud_tasks/dispatcher.py).
_COPY_LINE = re.compile(
    r"task \S+/tasks/(?P<task>\S+) copy (?P<copy>\d+)/(?P<of>\d+): HTTP (?P<status>\d+)"
)


@dataclass(frozen=True)
class PrivateStack:
    """A local stack of this module alone.

    Attributes:
        settings: Settings pointing at it.
        state_dir: Its state directory (logs in ``logs/<component>.log``).
        concurrent: Whether the copies of an attempt are sent at the same time.
    """

    settings: Settings
    state_dir: Path
    concurrent: bool


@pytest.fixture(scope="module", params=["sequential", "concurrent"])
def duplicating_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrivateStack]:
    """A private stack whose Cloud Tasks emulator sends every attempt twice; always stopped."""
    concurrent = request.param == "concurrent"
    state_dir = tmp_path_factory.mktemp(f"duplicating-stack-{request.param}")
    try:
        exports = local_stack.up(
            state_dir,
            os.environ,
            with_services=True,
            task_dispatch_copies=COPIES,
            task_dispatch_concurrent=concurrent,
        )
        with pytest.MonkeyPatch.context() as patch:
            for name, value in exports.items():
                patch.setenv(name, value)
            yield PrivateStack(Settings(), state_dir, concurrent)
    finally:
        local_stack.down(state_dir)


@pytest.fixture(scope="module")
def stack(duplicating_stack: PrivateStack) -> Settings:
    """Overrides the session's stack for this module: the private one."""
    return duplicating_stack.settings


@pytest.fixture(scope="module")
def deps(stack: Settings) -> Dependencies:
    """Overrides the session's dependencies for this module: the private stack's."""
    return build_dependencies(stack)


def answered_copies(state_dir: Path) -> dict[str, set[int]]:
    """Task id → numbers of the copies the target answered, from the emulator's log."""
    answered: dict[str, set[int]] = defaultdict(set)
    for task, copy, _status in answers(state_dir):
        answered[task].add(copy)
    return answered


def answers(state_dir: Path) -> list[tuple[str, int, int]]:
    """``(task id, copy number, HTTP status)`` of every copy answered, from the emulator's log."""
    log = (state_dir / "logs" / "cloud_tasks.log").read_text()
    found = []
    for match in _COPY_LINE.finditer(log):
        assert int(match["of"]) == COPIES
        found.append((match["task"], int(match["copy"]), int(match["status"])))
    return found


def model_calls(state_dir: Path, run_id: str) -> int:
    """How many of a run's model requests the Gemini emulator answered, from its log."""
    log = (state_dir / "logs" / "vertex.log").read_text()
    return sum(1 for line in log.splitlines() if "answers" in line and run_id in line)


def wait_for_copies(state_dir: Path, task_ids: list[str], timeout_s: float = 90.0) -> None:
    """Block until the executor answered every copy of each task; fail after ``timeout_s``."""
    expected = {task_name_id(task_id): set(range(1, COPIES + 1)) for task_id in task_ids}
    deadline = time.monotonic() + timeout_s
    while True:
        answered = answered_copies(state_dir)
        seen = {name: answered.get(name, set()) for name in expected}
        if seen == expected:
            return
        assert time.monotonic() < deadline, f"copies answered: {seen}, expected: {expected}"
        time.sleep(0.1)


def test_every_task_delivered_twice_makes_one_set_of_tool_calls_and_one_delivery(
    duplicating_stack: PrivateStack, deps: Dependencies, tenant: Tenant, world: OutsideWorld
) -> None:
    run, _ = run_to_end(
        duplicating_stack.settings, tenant, world, PRICE_MONITOR, {"product": "widget"}
    )
    run_id = run["run_id"]
    # Every task of the run reached the executor twice; wait for the last copies before counting
    # side effects, as they may land after the run is delivered.
    wait_for_copies(
        duplicating_stack.state_dir,
        [
            model_step_task_id(run_id, 0),
            tool_call_task_id(run_id, 0, 0),
            tool_call_task_id(run_id, 0, 1),
            model_step_task_id(run_id, 1),
            delivery_id(run_id, 0),
        ],
    )
    events = [event_type for event_type, _data in tenant.api.events(run_id, timeout_s=90)]

    assert run["status"] == "delivered", run
    assert model_calls(duplicating_stack.state_dir, run_id) == 2  # once a step
    assert len(world.pages.requests) == 2  # each tool call once
    assert len(world.webhooks.requests) == 1  # one delivery
    assert world.verified == [delivery_id(run_id, 0)]
    for stage in ("requested", "approved", "running", "generated", "passed", "delivered"):
        assert events.count(f"run.{stage}") == 1, events
    stored = deps.runs.get_run(run_id)
    assert (stored.usage.model_steps, stored.usage.tool_calls) == (2, 2)
    assert world.alerts.requests == []
    if duplicating_stack.concurrent:
        # The copies overlapped: those that found the work's lease taken answered 503.
        assert any(status == 503 for *_, status in answers(duplicating_stack.state_dir))
