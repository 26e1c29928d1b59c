"""The asynchronous client: :class:`switchyard.Client`'s methods, awaitable.

Example::

    async with AsyncClient(url, key) as client:
        run = await client.create_run(agent_id, {"product": "widget"})
        async for event in client.stream_events(run.run_id):
            print(event.type)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from httpx_sse import aconnect_sse
from pydantic import BaseModel
from tenacity import AsyncRetrying

from switchyard import _core
from switchyard._management import AsyncManagementMethods
from switchyard.errors import TransportError, error_from_response
from switchyard.models import Agent, AgentDetail, AgentVersion, Page, Run, RunEvent, Trace

M = TypeVar("M", bound=BaseModel)


class AsyncClient(AsyncManagementMethods):
    """An asynchronous Switchyard API client (httpx); see :class:`switchyard.Client`.

    Args:
        base_url: The API's URL.
        api_key: An API key, or a token provider (called on every request; see
            :class:`switchyard.Client`).
        org_id: The organisation a signed-in person acts for (``X-Switchyard-Org``).
        timeout_s: Seconds for connecting and for each read.
        retry: When to retry 429, 503 and dropped connections.
        transport: An httpx async transport to send through.
    """

    def __init__(
        self,
        base_url: str,
        api_key: _core.Credential,
        *,
        org_id: str | None = None,
        timeout_s: float = 30.0,
        retry: _core.RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._timeout_s = timeout_s
        self._retry = retry or _core.RetryPolicy()
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers=_core.client_headers(org_id),
            auth=_core.BearerAuth(api_key),
            timeout=timeout_s,
            transport=transport,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def _send(self, call: _core.Call) -> httpx.Response:
        async for attempt in AsyncRetrying(**self._retry.tenacity_kwargs()):
            with attempt:
                try:
                    response = await self._http.request(
                        call.method, call.path, **call.request_kwargs()
                    )
                except httpx.TransportError as error:
                    raise _core.transport_error(call, error) from error
                return _core.checked(response)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _get(self, call: _core.Call, model: type[M]) -> M:
        return _core.parse(await self._send(call), model)

    async def _paginate(self, path: str, model: type[M], **params: Any) -> AsyncIterator[M]:
        token: str | None = None
        while True:
            response = await self._send(
                _core.Call("GET", path, params={**params, "page_token": token})
            )
            page = Page[model].model_validate(response.json())  # type: ignore[valid-type]
            for item in page.items:
                yield item
            if not page.next_page_token:
                return
            token = page.next_page_token

    async def create_agent(self, spec: str | Mapping[str, Any]) -> AgentDetail:
        """Create an agent (see :meth:`switchyard.Client.create_agent`)."""
        return await self._get(_core.spec_call("POST", "/v1/agents", spec), AgentDetail)

    async def update_agent(self, agent_id: str, spec: str | Mapping[str, Any]) -> AgentDetail:
        """Add a version to an agent."""
        call = _core.spec_call("PUT", f"/v1/agents/{agent_id}", spec)
        return await self._get(call, AgentDetail)

    async def get_agent(self, agent_id: str) -> AgentDetail:
        """The agent, its latest version and its trigger."""
        return await self._get(_core.Call("GET", f"/v1/agents/{agent_id}"), AgentDetail)

    def list_agents(self, *, page_size: int = 50) -> AsyncIterator[Agent]:
        """Every agent of the organisation, a page at a time."""
        return self._paginate("/v1/agents", Agent, page_size=page_size)

    def list_versions(self, agent_id: str, *, page_size: int = 50) -> AsyncIterator[AgentVersion]:
        """Every version of an agent, a page at a time."""
        path = f"/v1/agents/{agent_id}/versions"
        return self._paginate(path, AgentVersion, page_size=page_size)

    async def create_run(
        self,
        agent_id: str,
        run_input: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        environment: str | None = None,
    ) -> Run:
        """Start a run (see :meth:`switchyard.Client.create_run`)."""
        call = _core.run_call(agent_id, run_input, idempotency_key, environment)
        return await self._get(call, Run)

    async def get_run(self, run_id: str, *, wait_s: float = 0.0) -> Run:
        """The run; with ``wait_s`` (at most 60), once it has ended or the wait has passed."""
        return await self._get(_core.wait_call(run_id, wait_s, self._timeout_s), Run)

    async def wait_for_run(self, run_id: str, *, timeout_s: float | None = None) -> Run:
        """The run once it has ended, or as it is when ``timeout_s`` passes."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            left = _core.MAX_WAIT_S if deadline is None else deadline - time.monotonic()
            run = await self.get_run(run_id, wait_s=max(0.0, min(left, _core.MAX_WAIT_S)))
            if run.terminal or (deadline is not None and time.monotonic() >= deadline):
                return run

    def list_runs(
        self, *, agent_id: str | None = None, status: str | None = None, page_size: int = 50
    ) -> AsyncIterator[Run]:
        """The organisation's runs, newest first, optionally filtered."""
        return self._paginate(
            "/v1/runs", Run, agent_id=agent_id, status=status, page_size=page_size
        )

    async def cancel_run(self, run_id: str) -> Run:
        """Cancel a run (see :meth:`switchyard.Client.cancel_run`)."""
        return await self._get(_core.Call("POST", f"/v1/runs/{run_id}/cancel"), Run)

    async def get_trace(self, run_id: str) -> Trace:
        """The run's model steps and tool calls with their trace bodies."""
        return await self._get(_core.Call("GET", f"/v1/runs/{run_id}/trace"), Trace)

    async def stream_events(
        self, run_id: str, *, after_seq: int = 0, max_reconnects: int = 5
    ) -> AsyncIterator[RunEvent]:
        """The run's events until its terminal event, resumed with ``Last-Event-ID``.

        Raises:
            NotFoundError: No such run.
            TransportError: The stream could not be resumed.
        """
        last, failures = after_seq, 0
        path = f"/v1/runs/{run_id}/events"
        timeout = httpx.Timeout(self._timeout_s, read=_core.STREAM_READ_TIMEOUT_S)
        while True:
            headers = {"Last-Event-ID": str(last)} if last else {}
            cause: Exception | None = None
            try:
                async with aconnect_sse(
                    self._http, "GET", path, headers=headers, timeout=timeout
                ) as sse:
                    if sse.response.status_code == 204:
                        return
                    if sse.response.is_error:
                        await sse.response.aread()
                        raise error_from_response(sse.response)
                    async for message in sse.aiter_sse():
                        if message.event == "error":
                            break
                        event = RunEvent.model_validate(_core.event_data(message.data))
                        last, failures = event.seq, 0
                        yield event
                        if event.terminal:
                            return
            except httpx.TransportError as error:
                cause = error
            failures += 1
            if failures > max_reconnects:
                raise TransportError(f"the event stream of {run_id} dropped") from cause
            await asyncio.sleep(
                min(self._retry.backoff_s * 2 ** (failures - 1), self._retry.max_backoff_s)
            )
