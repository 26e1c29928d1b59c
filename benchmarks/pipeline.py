"""End to end and burst throughput of the run pipeline, with a one-tool agent on the local stack.

* Trigger-to-delivered: ``POST /v1/agents/{id}/runs`` to the signed webhook's arrival, runs one
  after another, after a warm-up run; p50 and p95 ÷ the Pub/Sub publish-to-push p50 measured
  in the same run (the pipeline has four Pub/Sub hops and three Cloud Tasks hops, so its floor
  is about four).
* Burst: runs started at once by 16 clients, runs delivered per second ÷ the ceiling the queues
  imply: the ``model-steps`` queue's rate over the two model steps of each run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from benchmarks.local_stack import pubsub_push_latency
from benchmarks.report import Figure
from benchmarks.stats import percentile
from emulators.vertex.admin_client import register_script
from emulators.vertex.script import Script
from examples.scenario import ApiClient, OutsideWorld, outside_world
from shared import resources
from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies
from shared.settings import Settings

AGENT = "bench-one-tool"
MODEL_STEPS_PER_RUN = 2  # the tool call, then the answer
DELIVERY_TIMEOUT_S = 60.0
BURST_CLIENTS = 16
WARM_UP_RUNS = 1


@dataclass(frozen=True)
class Bench:
    """A one-tool agent ready to run, and what it talks to.

    Attributes:
        deps: The benchmark's own dependencies on the stack (to read runs back).
        api: A client of the stack's API with the organisation's admin key.
        world: The pages the tool fetches and the webhook receiver deliveries reach.
        agent_id: The agent.
    """

    deps: Dependencies
    api: ApiClient
    world: OutsideWorld
    agent_id: str


def _spec(world: OutsideWorld) -> str:
    return f"""
agent:
  name: {AGENT}
  system_prompt: Fetch the page and report its price.
  tools: [{{name: http_fetch, config: {{allowed_domains: [127.0.0.1]}}}}]
  evals:
    - {{name: input_is_json, stage: pre_flight, assert: [{{type: is-json}}]}}
    - {{name: has_price, assert: [{{type: contains, value: EUR}}]}}
  delivery: [{{type: webhook, url: "{world.webhooks.url}/hook"}}]
"""


def _script(world: OutsideWorld) -> Script:
    fetch = {"name": "http_fetch", "args": {"url": f"{world.pages.url}/competitor-a/widget"}}
    return Script.model_validate(
        {
            "script": AGENT,
            "match": {"switchyard-agent": AGENT},
            "turns": [{"function_calls": [fetch]}, {"text": "19.99 EUR"}],
        }
    )


@contextmanager
def one_tool_agent(deps: Dependencies, api_url: str, vertex_url: str) -> Iterator[Bench]:
    """A new organisation with a one-tool agent, its model script, pages and webhook receiver.

    Args:
        deps: Dependencies on the stack.
        api_url: The stack's API.
        vertex_url: The stack's Gemini emulator.
    """
    org, key = create_org_with_key(deps, "Bench Co")
    secret = deps.secrets.access(resources.webhook_signing_secret_id(org.org_id)).decode()
    api = ApiClient(api_url, key)
    with outside_world(secret) as world:
        register_script(vertex_url, _script(world))
        agent_id = api.create_agent(_spec(world))["agent"]["agent_id"]
        yield Bench(deps, api, world, agent_id)


def trigger_to_delivered(bench: Bench, runs: int) -> dict[str, float]:
    """Seconds from the API call to the delivery's arrival, per run id, runs one at a time.

    :data:`WARM_UP_RUNS` more runs go first and are not counted: they pay for each process
    building its dependencies on first use.

    Raises:
        RuntimeError: When a run is not delivered within :data:`DELIVERY_TIMEOUT_S`, or the
            delivery that arrives names another run.
    """
    latencies = {}
    before = len(bench.world.webhooks.requests)
    for index in range(WARM_UP_RUNS + runs):
        began = time.monotonic()
        run_id = bench.api.start_run(bench.agent_id, {"n": index})["run_id"]
        arrived = bench.world.webhooks.wait_for(before + index + 1, DELIVERY_TIMEOUT_S)
        if len(arrived) <= before + index:
            raise RuntimeError(f"run {run_id} was not delivered within {DELIVERY_TIMEOUT_S:.0f} s")
        delivery = arrived[before + index]
        if not delivery.headers.get("webhook-id", "").startswith(run_id):
            raise RuntimeError(f"expected the delivery of {run_id}, got {delivery.headers}")
        if index >= WARM_UP_RUNS:
            latencies[run_id] = delivery.received_at - began
    return latencies


def burst_rate(bench: Bench, runs: int, timeout_s: float) -> float:
    """Runs delivered per second when ``runs`` runs are started at once.

    Raises:
        RuntimeError: When not every run is delivered within ``timeout_s``.
    """
    before = len(bench.world.webhooks.requests)
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=BURST_CLIENTS) as pool:
        list(pool.map(lambda n: bench.api.start_run(bench.agent_id, {"burst": n}), range(runs)))
    arrived = bench.world.webhooks.wait_for(before + runs, timeout_s)
    if len(arrived) < before + runs:
        raise RuntimeError(f"only {len(arrived) - before} of {runs} burst runs were delivered")
    return runs / (arrived[-1].received_at - began)


def e2e_figures(settings: Settings, latencies: list[float], push_samples: int) -> list[Figure]:
    """Trigger-to-delivered p50 and p95 ÷ the Pub/Sub publish-to-push p50, in ms."""
    floor_ms = percentile(pubsub_push_latency(settings, push_samples), 0.5) * 1000
    return [
        Figure("End to end", f"trigger-to-delivered {label}", percentile(latencies, share) * 1000,
               "ms", "Pub/Sub publish-to-push p50", floor_ms)
        for label, share in (("p50", 0.5), ("p95", 0.95))
    ]  # fmt: skip


def burst_figure(bench: Bench, runs: int, timeout_s: float) -> Figure:
    """Runs delivered per second ÷ the ceiling of the ``model-steps`` queue's rate."""
    queue_rate = resources.MODEL_STEPS_QUEUE.max_dispatches_per_second
    return Figure(
        "Burst", f"{runs} runs at once: delivered runs/s", burst_rate(bench, runs, timeout_s),
        "runs/s", f"ceiling: model-steps {queue_rate:g}/s ÷ {MODEL_STEPS_PER_RUN} steps a run",
        queue_rate / MODEL_STEPS_PER_RUN,
    )  # fmt: skip
