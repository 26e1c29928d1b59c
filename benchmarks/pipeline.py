"""Benchmark of the run pipeline on the local stack.

Run: ``make bench`` (inside a stack with Switchyard's services). Prints, measured in one run:

* trigger-to-delivered latency p50 and p95 for 30 sequential runs of a one-tool agent (API call
  to signed webhook arrival), in ms and ÷ the bare Pub/Sub publish-to-push latency p50 measured
  in the same run (the pipeline has four Pub/Sub hops and three Cloud Tasks hops);
* burst throughput: 100 runs triggered at once, runs delivered per second.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks.local_stack import percentile, pubsub_push_latency, row
from emulators.vertex.admin_client import register_script
from emulators.vertex.script import Script
from examples.scenario import ApiClient, OutsideWorld, outside_world
from shared import resources
from shared.auth.onboarding import create_org_with_key
from shared.composition import build_dependencies
from shared.settings import Settings

SEQUENTIAL_RUNS = 30
BURST_RUNS = 100
AGENT = "bench-one-tool"


def _spec(world: OutsideWorld) -> str:
    return f"""
agent:
  name: {AGENT}
  system_prompt: Fetch the page and report its price.
  tools: [{{name: http_fetch, config: {{allowed_domains: [127.0.0.1]}}}}]
  evals: [{{name: has_price, assert: [{{type: contains, value: EUR}}]}}]
  delivery: [{{type: webhook, url: "{world.webhooks.url}/hook"}}]
"""


def _script(world: OutsideWorld) -> Script:
    return Script.model_validate(
        {
            "script": AGENT,
            "match": {"switchyard-agent": AGENT},
            "turns": [
                {
                    "function_calls": [
                        {
                            "name": "http_fetch",
                            "args": {"url": f"{world.pages.url}/competitor-a/widget"},
                        }
                    ]
                },
                {"text": "19.99 EUR"},
            ],
        }
    )


def _sequential(api: ApiClient, agent_id: str, world: OutsideWorld) -> list[float]:
    latencies = []
    for index in range(SEQUENTIAL_RUNS):
        started = time.monotonic()
        api.start_run(agent_id, {"n": index})
        arrived = world.webhooks.wait_for(index + 1, timeout_s=60)
        if len(arrived) <= index:
            raise RuntimeError(f"run {index} was not delivered within 60 s")
        latencies.append(arrived[index].received_at - started)
    return latencies


def _burst(api: ApiClient, agent_id: str, world: OutsideWorld) -> float:
    before = len(world.webhooks.requests)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda n: api.start_run(agent_id, {"burst": n}), range(BURST_RUNS)))
    arrived = world.webhooks.wait_for(before + BURST_RUNS, timeout_s=600)
    if len(arrived) < before + BURST_RUNS:
        raise RuntimeError(f"only {len(arrived) - before} of {BURST_RUNS} burst runs delivered")
    return BURST_RUNS / (arrived[-1].received_at - started)


def main() -> None:
    """Print the table."""
    settings = Settings()
    if not (settings.api_url and settings.vertex_base_url):
        raise SystemExit("run inside the local stack with its services: make bench")
    deps = build_dependencies(settings)
    org, key = create_org_with_key(deps, "Bench Co")
    secret = deps.secrets.access(resources.webhook_signing_secret_id(org.org_id)).decode()
    api = ApiClient(settings.api_url, key)
    push, _bare = pubsub_push_latency(settings)
    floor_ms = percentile(push, 0.5) * 1000
    with outside_world(secret) as world:
        register_script(settings.vertex_base_url, _script(world))
        agent_id = api.create_agent(_spec(world))["agent"]["agent_id"]
        latencies = _sequential(api, agent_id, world)
        throughput = _burst(api, agent_id, world)
    print(f"{'figure':56} {'value':>12}")
    row("Pub/Sub publish-to-push p50, the floor of one hop (ms)", floor_ms, 1)
    for label, share in (("p50", 0.5), ("p95", 0.95)):
        value_ms = percentile(latencies, share) * 1000
        row(f"trigger-to-delivered {label} (ms)", value_ms, 1)
        row(f"trigger-to-delivered {label} / publish-to-push p50", value_ms / floor_ms, 1)
    row("trigger-to-delivered mean (ms)", statistics.mean(latencies) * 1000, 1)
    row(f"burst of {BURST_RUNS} runs: delivered runs per second", throughput, 2)


if __name__ == "__main__":
    main()
