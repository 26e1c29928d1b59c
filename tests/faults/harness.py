"""What the fault tests share: a private local stack they may break, a fleet of probe agents
with their outside world, a burst of runs, and the checks every fault must leave true.

The stack is private (``emulators.stack.up`` in a temporary directory) because the faults kill
services and freeze emulators; Google's clients read their emulator variables from the
environment, so its exports are set while it runs. Every check that waits has a deadline and
names the runs it still waits for.
"""

from __future__ import annotations

import os
import random
import re
import string
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from emulators import stack as local_stack
from emulators.http_receiver import ReceivedRequest
from emulators.vertex.admin_client import register_script
from emulators.vertex.script import Script
from examples.scenario import ApiClient, OutsideWorld, outside_world
from shared import resources
from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies, build_dependencies
from shared.domain.runs import Run
from shared.pipeline.sweeper import sweep
from shared.pipeline.trigger import request_run
from shared.settings import Settings

PAGE = "/competitor-a/widget"  # served by examples.scenario's outside world
_TOOLS = """\
  tools:
    - name: http_fetch
      config: {allowed_domains: [127.0.0.1], max_bytes: 20000, timeout_s: 5}"""

_SPEC = string.Template("""\
agent:
  name: $name
  description: A probe of the fault tests.
  system_prompt: Fetch the page when told to, then report its price.
  model: {name: gemini-2.5-flash}
  trigger: {type: manual}
$tools
  delivery:
    - {type: webhook, url: "$WEBHOOK_URL"}
  alerts: {webhook_url: "$ALERTS_URL"}
  limits: {max_steps: 4, timeout_s: $timeout_s}
""")


def seeded(name: str) -> random.Random:
    """A random generator seeded from ``SWITCHYARD_FAULT_SEED`` or the clock; prints the seed."""
    seed = int(os.environ.get("SWITCHYARD_FAULT_SEED") or time.time_ns() % 1_000_000)
    print(f"{name}: seed {seed} (rerun with SWITCHYARD_FAULT_SEED={seed})")
    return random.Random(seed)


@dataclass(frozen=True)
class FaultStack:
    """A private local stack.

    Attributes:
        settings: Settings pointing at it.
        state_dir: Its state directory (service and emulator logs in ``logs/<name>.log``).
        deps: Dependencies on it, for this process.
    """

    settings: Settings
    state_dir: Path
    deps: Dependencies

    def log(self, name: str) -> str:
        """The log of one component or service so far."""
        return (self.state_dir / "logs" / f"{name}.log").read_text(errors="replace")

    def pgid(self, name: str) -> int:
        """The process group of one component or service."""
        state = local_stack.read_state(self.state_dir)
        assert state, "the private stack is not running"
        return int(state["pgids"][name])  # type: ignore[index]

    def restart(self, name: str) -> None:
        """SIGKILL one service's process group and start it again on its port."""
        local_stack.restart_service(self.state_dir, name, os.environ)

    def model_calls(self) -> Counter[str]:
        """Run id → model requests the Gemini emulator answered, read from its log."""
        found: Counter[str] = Counter()
        for line in self.log("vertex").splitlines():
            if "answers" in line and (
                match := re.search(r"switchyard-run[^a-f0-9]*([a-f0-9]{32})", line)
            ):
                found[match[1]] += 1
        return found


@contextmanager
def private_stack(
    tmp_path: Path, task_dispatch_copies: int = 1, concurrent: bool = False
) -> Iterator[FaultStack]:
    """Start a private stack with services, yield it, always stop it."""
    try:
        exports = local_stack.up(
            tmp_path,
            os.environ,
            with_services=True,
            task_dispatch_copies=task_dispatch_copies,
            task_dispatch_concurrent=concurrent,
        )
        with pytest.MonkeyPatch.context() as patch:
            for name, value in exports.items():
                patch.setenv(name, value)
            settings = Settings()
            yield FaultStack(settings, tmp_path, build_dependencies(settings))
    finally:
        local_stack.down(tmp_path)


@dataclass
class Fleet:
    """An organisation with probe agents, each scripted to fetch one page and then report it.

    Attributes:
        org_id: The organisation.
        agent_ids: Its probe agents.
        world: Pages, webhook and alert receivers.
    """

    org_id: str
    agent_ids: list[str]
    world: OutsideWorld
    run_ids: list[str] = field(default_factory=list)

    def start_runs(self, deps: Dependencies, count: int, workers: int = 8) -> list[str]:
        """Request ``count`` runs, spread over the agents round-robin; returns their ids."""

        def start(index: int) -> str:
            agent_id = self.agent_ids[index % len(self.agent_ids)]
            return request_run(deps, self.org_id, agent_id, {"index": index}).run_id

        with ThreadPoolExecutor(workers) as pool:
            started = list(pool.map(start, range(count)))
        self.run_ids.extend(started)
        return started

    def deliveries(self) -> Counter[str]:
        """Run id → verified webhook deliveries received."""
        return Counter(
            webhook_id.rsplit("-delivery-", 1)[0]
            for webhook_id in self.world.verified
            if "-delivery-" in webhook_id  # not the alerts, signed by the same secret
        )

    def tool_calls(self) -> Counter[str]:
        """Run id → page fetches answered, by the ``Idempotency-Key`` each call carries."""
        return Counter(_call_run(request) for request in self.world.pages.requests)


def _call_run(request: ReceivedRequest) -> str:
    return request.headers.get("idempotency-key", "?").split("-step-", 1)[0]


@contextmanager
def fleet(
    fault_stack: FaultStack,
    agents: int,
    *,
    model_delay_s: float = 0.0,
    timeout_s: int = 600,
    with_tool: bool = True,
) -> Iterator[Fleet]:
    """An organisation with ``agents`` probe agents and their outside world, for the block.

    Args:
        fault_stack: The stack.
        agents: How many agents.
        model_delay_s: Seconds the Gemini emulator waits before each answer.
        timeout_s: The agents' ``limits.timeout_s``.
        with_tool: The model fetches :data:`PAGE` before it answers; else it answers at once.
    """
    deps, settings = fault_stack.deps, fault_stack.settings
    org, key = create_org_with_key(deps, "Fault Co")
    secret = deps.secrets.access(resources.webhook_signing_secret_id(org.org_id)).decode()
    assert settings.api_url and settings.vertex_base_url
    api = ApiClient(settings.api_url, key)
    with ExitStack() as stack:
        world = stack.enter_context(outside_world(secret))
        variables = world.variables()
        agent_ids = []
        tag = os.urandom(3).hex()
        for index in range(agents):
            name = f"fault-probe-{tag}-{index}"
            script = probe_script(name, variables, model_delay_s, with_tool)
            register_script(settings.vertex_base_url, script)
            tools = _TOOLS if with_tool else ""
            spec = _SPEC.substitute(variables, name=name, timeout_s=timeout_s, tools=tools)
            agent_ids.append(api.create_agent(spec)["agent"]["agent_id"])
        yield Fleet(org.org_id, agent_ids, world)


def probe_script(name: str, variables: dict[str, str], delay_s: float, with_tool: bool) -> Script:
    """The model's side of a probe run: fetch :data:`PAGE` (``with_tool``), then report."""
    fetch = {"name": "http_fetch", "args": {"url": variables["PAGES_URL"] + PAGE}}
    turns: list[dict[str, object]] = [{"text": "competitor-a sells the widget at 19.99 EUR"}]
    if with_tool:
        turns.insert(0, {"function_calls": [fetch]})
    if delay_s:
        turns = [{**turn, "delay_s": delay_s} for turn in turns]
    return Script.model_validate(
        yaml.safe_load(
            yaml.safe_dump({"script": name, "match": {"switchyard-agent": name}, "turns": turns})
        )
    )


def wait_terminal(deps: Dependencies, run_ids: Iterable[str], timeout_s: float) -> dict[str, Run]:
    """Poll until every run is terminal; fails after ``timeout_s`` listing the stuck runs."""
    pending = set(run_ids)
    done: dict[str, Run] = {}
    started = time.monotonic()
    deadline, report_at = started + timeout_s, started + 15.0
    while pending:
        waiting: Counter[str] = Counter()
        for run_id in sorted(pending):
            run = deps.runs.get_run(run_id)
            if run.status.terminal:
                done[run_id] = run
                pending.discard(run_id)
            else:
                waiting[run.status.value] += 1
        if not pending:
            break
        if time.monotonic() > report_at:
            print(
                f"{time.monotonic() - started:.0f} s: {len(pending)} runs waiting {dict(waiting)}"
            )
            report_at += 15.0
        if time.monotonic() > deadline:
            stuck = {run_id: deps.runs.get_run(run_id).status.value for run_id in sorted(pending)}
            pytest.fail(f"{len(stuck)} runs not terminal after {timeout_s:.0f} s: {stuck}")
        time.sleep(1.0)
    return done


def assert_exactly_once(
    fault_stack: FaultStack, probes: Fleet, runs: dict[str, Run], settle_s: float = 5.0
) -> None:
    """Every run delivered, with one delivery, one tool call and two model calls each.

    Waits ``settle_s`` seconds first, for late duplicates to land before they are counted.
    """
    time.sleep(settle_s)  # duplicates may still be in flight after the last run finished
    not_delivered = {
        r: run.status.value for r, run in runs.items() if run.status.value != "delivered"
    }
    assert not not_delivered, f"runs not delivered: {not_delivered}"
    deliveries, calls, models = probes.deliveries(), probes.tool_calls(), fault_stack.model_calls()
    wrong = {
        run_id: (deliveries[run_id], calls[run_id], models[run_id])
        for run_id in runs
        if (deliveries[run_id], calls[run_id], models[run_id]) != (1, 1, 2)
    }
    assert not wrong, f"(deliveries, tool calls, model calls) other than (1, 1, 2): {wrong}"


SWEEP_EVERY_S = 5.0
STALLED_AFTER_S = 20.0  # shorter than in production (5 min), to keep the tests short


@contextmanager
def sweeping(deps: Dependencies) -> Iterator[list[str]]:
    """Sweep every :data:`SWEEP_EVERY_S` seconds during the block; yields the runs moved again."""
    republished: list[str] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(SWEEP_EVERY_S):
            report = sweep(deps, stalled_after_s=STALLED_AFTER_S)
            republished.extend(report.republished + report.resumed)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield republished
    finally:
        stop.set()
        thread.join()
