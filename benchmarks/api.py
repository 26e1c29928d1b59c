"""API throughput: create-run requests per second ÷ a bare Flask "hello" on the same server.

Concurrent clients ``POST /v1/agents/{id}/runs`` on the stack's own API service for a fixed
time, each request with a valid key; the baseline is the API's very gunicorn command serving
:mod:`benchmarks.hello` instead (:mod:`benchmarks.servers`), started fresh in the same run. The
two alternate in rounds so that both see the same background load. The agent's pre-flight eval
refuses every input, so the runs made here stop at pre-flight and load the stack little
afterwards. Each client cycles through keys of its own, so the per-key rate limit
(``RATE_LIMIT_PER_S`` per key) never answers: any status but the expected one is an error.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from benchmarks.report import Figure
from benchmarks.servers import started
from examples.scenario import ApiClient
from shared.auth.keys import NewApiKey, create_key
from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies

SECTION = "API"
KEYS_PER_CLIENT = 4
REJECTING_AGENT = """
agent:
  name: bench-api-rejected
  system_prompt: Never runs.
  evals: [{name: never, stage: pre_flight, assert: [{type: contains, value: "never in any input"}]}]
"""

Send = Callable[[httpx.Client, int], httpx.Response]


def requests_per_second(url: str, send: Send, expected: int, clients: int, seconds: float) -> float:
    """Requests per second that ``clients`` threads complete against ``url`` in ``seconds``.

    Args:
        url: Base URL of the server.
        send: ``send(client, n)`` makes request ``n`` of a client.
        expected: The only acceptable status code.
        clients: Concurrent clients, each with one keep-alive connection.
        seconds: How long to keep sending.

    Raises:
        RuntimeError: When any request answers another status.
    """
    deadline = time.monotonic() + seconds

    def client_loop(_index: int) -> int:
        done = 0
        with httpx.Client(base_url=url, timeout=30.0) as client:
            while time.monotonic() < deadline:
                response = send(client, done)
                if response.status_code != expected:
                    raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
                done += 1
        return done

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        total = sum(pool.map(client_loop, range(clients)))
    return total / (time.monotonic() - began)


def _create_run_sender(deps: Dependencies, api_url: str, clients: int) -> Send:
    org, admin_key = create_org_with_key(deps, "Bench API Co")
    agent_id = ApiClient(api_url, admin_key).create_agent(REJECTING_AGENT)["agent"]["agent_id"]
    request = NewApiKey(name="bench", scopes=("runs:write",))
    keys = itertools.cycle(
        [create_key(deps, org.org_id, request).key for _ in range(clients * KEYS_PER_CLIENT)]
    )

    def send(client: httpx.Client, n: int) -> httpx.Response:
        headers = {"Authorization": f"Bearer {next(keys)}"}
        return client.post(f"/v1/agents/{agent_id}/runs", json={"input": {"n": n}}, headers=headers)

    return send


def _hello(client: httpx.Client, n: int) -> httpx.Response:
    return client.post("/", json={"input": {"n": n}})


def figures(
    deps: Dependencies, api_url: str, clients: int, seconds: float, rounds: int, log_dir: Path
) -> list[Figure]:
    """Create-run requests per second ÷ hello requests per second, ``rounds`` alternations."""
    create_run = _create_run_sender(deps, api_url, clients)
    api_rates, hello_rates = [], []
    with started("api", hello=True, log_dir=log_dir) as hello:
        for _ in range(rounds):
            hello_rates.append(requests_per_second(hello.url, _hello, 200, clients, seconds))
            api_rates.append(requests_per_second(api_url, create_run, 202, clients, seconds))
    return [
        Figure(SECTION, f"POST /v1/agents/{{id}}/runs, {clients} clients", sum(api_rates) / rounds,
               "req/s", "hello on the API's gunicorn", sum(hello_rates) / rounds)
    ]  # fmt: skip
