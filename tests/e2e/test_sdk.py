"""The Python SDK (``switchyard``) against the local stack: agents, runs, events, traces,
pages, cancellation, the async client, and an event stream resumed after a dropped connection."""

from __future__ import annotations

import asyncio
import time

import pytest

from examples.scenario import OutsideWorld
from shared.composition import Dependencies
from shared.settings import Settings
from switchyard import AsyncClient, Client, ConflictError, NotFoundError, RunEvent
from tests.e2e.conftest import Tenant
from tests.e2e.sdk_support import DroppingProxy, hold_pages


def _assert_whole_log(events: list[RunEvent], last: str) -> None:
    assert [event.seq for event in events] == list(range(1, len(events) + 1))  # no gap, no repeat
    assert events[0].type == "run.requested"
    assert events[-1].type == last


def test_the_sdk_runs_an_agent_to_delivery_and_reads_its_trace(
    client: Client, price_monitor: str
) -> None:
    detail = client.create_agent(price_monitor)
    run = client.create_run(detail.agent.agent_id, {"product": "widget"})

    events = list(client.stream_events(run.run_id))

    _assert_whole_log(events, "run.delivered")
    assert sum(event.type == "tool_call.completed" for event in events) == 2
    finished = client.get_run(run.run_id)
    assert finished.status == "delivered" and finished.succeeded
    assert finished.usage.model_steps == 2
    trace = client.get_trace(run.run_id)
    assert [step["step"] for step in trace.steps] == [0, 1]
    assert [call["status"] for call in trace.tool_calls] == ["succeeded", "succeeded"]
    assert client.get_agent(detail.agent.agent_id).agent.name == "competitor-price-monitor"


def test_lists_are_iterated_across_pages(client: Client, price_monitor: str) -> None:
    agent_id = client.create_agent(price_monitor).agent.agent_id
    client.update_agent(agent_id, price_monitor.replace("temperature: 0.2", "temperature: 0.3"))
    run_ids = {client.create_run(agent_id, {"product": "widget"}).run_id for _ in range(3)}
    for run_id in run_ids:  # let them end, so that nothing is left running
        assert client.wait_for_run(run_id, timeout_s=120).terminal

    listed = [run.run_id for run in client.list_runs(agent_id=agent_id, page_size=1)]
    versions = [version.version for version in client.list_versions(agent_id, page_size=1)]

    assert sorted(listed) == sorted(run_ids)
    assert sorted(versions) == [1, 2]
    assert [agent.agent_id for agent in client.list_agents(page_size=1)] == [agent_id]


def test_errors_carry_the_problem_code(client: Client) -> None:
    with pytest.raises(NotFoundError) as raised:
        client.get_run("no-such-run")

    assert raised.value.status == 404
    assert raised.value.code == "run_not_found"
    assert not raised.value.retryable


def test_a_run_cancelled_between_steps_takes_no_further_step(
    client: Client, deps: Dependencies, price_monitor: str, world: OutsideWorld
) -> None:
    held = hold_pages(world)
    run = client.create_run(client.create_agent(price_monitor).agent.agent_id, {"x": 1})
    try:
        assert held.arrived.wait(60), "the tool call never reached the page"

        cancelled = client.cancel_run(run.run_id)
        again = client.cancel_run(run.run_id)
    finally:
        held.release()

    assert cancelled.status == again.status == "cancelled"
    events = list(client.stream_events(run.run_id))
    _assert_whole_log(events, "run.cancelled")
    deadline = time.monotonic() + 30
    while len(deps.runs.list_tool_results(run.run_id)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    # The calls under way finished; the step after them was dropped.
    watch_until = time.monotonic() + 3
    while time.monotonic() < watch_until:
        assert len(deps.runs.list_steps(run.run_id)) == 1
        assert client.get_run(run.run_id).status == "cancelled"
        time.sleep(0.3)


def test_waiting_for_a_run_returns_once_it_has_ended_and_it_cannot_be_cancelled(
    client: Client, price_monitor: str
) -> None:
    run = client.create_run(client.create_agent(price_monitor).agent.agent_id, {"p": "widget"})

    waited = client.get_run(run.run_id, wait_s=60)

    assert waited.status == "delivered"
    with pytest.raises(ConflictError) as raised:
        client.cancel_run(run.run_id)
    assert raised.value.code == "run_already_terminal"


def test_an_event_stream_resumes_after_its_connection_drops(
    stack: Settings, tenant: Tenant, client: Client, price_monitor: str
) -> None:
    assert stack.api_url
    agent_id = client.create_agent(price_monitor).agent.agent_id
    with (
        DroppingProxy(stack.api_url, drops=2).running() as proxy,
        Client(proxy.url, tenant.api.api_key) as proxied,
    ):
        run = proxied.create_run(agent_id, {"product": "widget"})
        events = list(proxied.stream_events(run.run_id))

    _assert_whole_log(events, "run.delivered")
    # At least one resumption; the second cut may fall after a chunk that already carried the
    # terminal event (a busy machine batches events), and then there is nothing to resume.
    assert len(proxy.stream_requests) >= 2
    resumed = [head.lower() for head in proxy.stream_requests[1:]]
    assert all("last-event-id: " in head for head in resumed)


def test_the_async_client_does_the_same(
    stack: Settings, tenant: Tenant, price_monitor: str
) -> None:
    assert stack.api_url
    url, key = stack.api_url, tenant.api.api_key

    async def scenario() -> tuple[list[RunEvent], str, list[str]]:
        async with AsyncClient(url, key) as client:
            detail = await client.create_agent(price_monitor)
            run = await client.create_run(detail.agent.agent_id, {"product": "widget"})
            events = [event async for event in client.stream_events(run.run_id)]
            finished = await client.wait_for_run(run.run_id, timeout_s=30)
            listed = [r.run_id async for r in client.list_runs(page_size=1)]
            return events, finished.status, listed

    events, status, listed = asyncio.run(scenario())

    _assert_whole_log(events, "run.delivered")
    assert status == "delivered"
    assert len(listed) == 1
