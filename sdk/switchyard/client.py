"""The synchronous client.

Example::

    from switchyard import Client

    with Client("https://api.example.com", "sy_live_...") as client:
        detail = client.create_agent(open("agent.yaml").read())
        run = client.create_run(detail.agent.agent_id, {"product": "widget"})
        for event in client.stream_events(run.run_id):
            print(event.seq, event.type)
        print(client.get_run(run.run_id).status)
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from httpx_sse import connect_sse
from pydantic import BaseModel
from tenacity import Retrying

from switchyard import _core
from switchyard._management import ManagementMethods
from switchyard.errors import TransportError, error_from_response
from switchyard.models import Agent, AgentDetail, AgentVersion, Page, Run, RunEvent, Trace

M = TypeVar("M", bound=BaseModel)


class Client(ManagementMethods):
    """A synchronous Switchyard API client (httpx).

    Besides agents and runs, it manages environments (``list_environments``, ``promote``,
    ``rollback``), API keys (``create_key``, ``list_keys``, ``revoke_key``) and reads the
    audit log (``list_audit_events``): :class:`switchyard._management.ManagementMethods`.

    Args:
        base_url: The API's URL, such as ``https://api.example.com``.
        api_key: An API key (``sy_live_...``), or a token provider such as a
            :class:`switchyard.firebase.FirebaseSession` (asked for a token on every request).
        org_id: The organisation a signed-in person acts for (``X-Switchyard-Org``); needed
            only by people of several organisations.
        timeout_s: Seconds for connecting and for each read.
        retry: When to retry 429, 503 and dropped connections; ``RetryPolicy(max_retries=0)``
            turns retrying off.
        transport: An httpx transport to send through (tests, proxies).
    """

    def __init__(
        self,
        base_url: str,
        api_key: _core.Credential,
        *,
        org_id: str | None = None,
        timeout_s: float = 30.0,
        retry: _core.RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._timeout_s = timeout_s
        self._retry = retry or _core.RetryPolicy()
        self._http = httpx.Client(
            base_url=base_url,
            headers=_core.client_headers(org_id),
            auth=_core.BearerAuth(api_key),
            timeout=timeout_s,
            transport=transport,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _send(self, call: _core.Call) -> httpx.Response:
        for attempt in Retrying(**self._retry.tenacity_kwargs()):
            with attempt:
                try:
                    response = self._http.request(call.method, call.path, **call.request_kwargs())
                except httpx.TransportError as error:
                    raise _core.transport_error(call, error) from error
                return _core.checked(response)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _get(self, call: _core.Call, model: type[M]) -> M:
        return _core.parse(self._send(call), model)

    def _paginate(self, path: str, model: type[M], **params: Any) -> Iterator[M]:
        token: str | None = None
        while True:
            call = _core.Call("GET", path, params={**params, "page_token": token})
            page = Page[model].model_validate(self._send(call).json())  # type: ignore[valid-type]
            yield from page.items
            if not page.next_page_token:
                return
            token = page.next_page_token

    # Agents

    def create_agent(self, spec: str | Mapping[str, Any]) -> AgentDetail:
        """Create an agent from a YAML spec (text) or a spec document; version 1.

        Raises:
            BadRequestError: The spec is invalid (code ``invalid_spec``, ...).
            ConflictError: An agent of that name exists.
        """
        return self._get(_core.spec_call("POST", "/v1/agents", spec), AgentDetail)

    def update_agent(self, agent_id: str, spec: str | Mapping[str, Any]) -> AgentDetail:
        """Add a version to an agent.

        Raises:
            NotFoundError: No such agent.
            BadRequestError: The spec is invalid.
        """
        return self._get(_core.spec_call("PUT", f"/v1/agents/{agent_id}", spec), AgentDetail)

    def get_agent(self, agent_id: str) -> AgentDetail:
        """The agent, its latest version and its trigger.

        Raises:
            NotFoundError: No such agent.
        """
        return self._get(_core.Call("GET", f"/v1/agents/{agent_id}"), AgentDetail)

    def list_agents(self, *, page_size: int = 50) -> Iterator[Agent]:
        """Every agent of the organisation, by name, fetched a page at a time."""
        return self._paginate("/v1/agents", Agent, page_size=page_size)

    def find_agent(self, name: str) -> Agent | None:
        """The agent called ``name``, or None."""
        return next((agent for agent in self.list_agents() if agent.name == name), None)

    def list_versions(self, agent_id: str, *, page_size: int = 50) -> Iterator[AgentVersion]:
        """Every version of an agent, fetched a page at a time.

        Raises:
            NotFoundError: No such agent.
        """
        path = f"/v1/agents/{agent_id}/versions"
        return self._paginate(path, AgentVersion, page_size=page_size)

    # Runs

    def create_run(
        self,
        agent_id: str,
        run_input: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        environment: str | None = None,
    ) -> Run:
        """Start a run of the version an environment runs (accepted, not finished).

        Args:
            agent_id: The agent.
            run_input: The run's input object.
            idempotency_key: Makes retries by you safe too; a random one is used otherwise
                (which makes the client's own retries safe).
            environment: ``dev``, ``staging`` or ``prod``; None is the API's default,
                ``prod``.

        Raises:
            NotFoundError: No such agent.
            ConflictError: The agent is inactive, or the key is in flight.
        """
        call = _core.run_call(agent_id, run_input, idempotency_key, environment)
        return self._get(call, Run)

    def get_run(self, run_id: str, *, wait_s: float = 0.0) -> Run:
        """The run; with ``wait_s`` (at most 60), once it has ended or the wait has passed.

        Raises:
            NotFoundError: No such run.
        """
        return self._get(_core.wait_call(run_id, wait_s, self._timeout_s), Run)

    def wait_for_run(self, run_id: str, *, timeout_s: float | None = None) -> Run:
        """The run once it has ended, or as it is when ``timeout_s`` (None: no limit) passes.

        Raises:
            NotFoundError: No such run.
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            left = _core.MAX_WAIT_S if deadline is None else deadline - time.monotonic()
            run = self.get_run(run_id, wait_s=max(0.0, min(left, _core.MAX_WAIT_S)))
            if run.terminal or (deadline is not None and time.monotonic() >= deadline):
                return run

    def list_runs(
        self, *, agent_id: str | None = None, status: str | None = None, page_size: int = 50
    ) -> Iterator[Run]:
        """The organisation's runs, newest first, optionally filtered, a page at a time."""
        return self._paginate(
            "/v1/runs", Run, agent_id=agent_id, status=status, page_size=page_size
        )

    def cancel_run(self, run_id: str) -> Run:
        """Cancel a run; honoured between steps. Cancelling a cancelled run is a no-op.

        Raises:
            NotFoundError: No such run.
            ConflictError: Code ``run_already_terminal``: it ended otherwise.
        """
        return self._get(_core.Call("POST", f"/v1/runs/{run_id}/cancel"), Run)

    def get_trace(self, run_id: str) -> Trace:
        """The run's model steps and tool calls with their trace bodies.

        Raises:
            NotFoundError: No such run.
        """
        return self._get(_core.Call("GET", f"/v1/runs/{run_id}/trace"), Trace)

    def get_evals(self, run_id: str) -> dict[str, Any]:
        """The run's eval verdicts by gate: ``{"run_id", "status", "evals": [...]}``."""
        response = self._send(_core.Call("GET", f"/v1/runs/{run_id}/evals"))
        return dict(response.json())

    def stream_events(
        self, run_id: str, *, after_seq: int = 0, max_reconnects: int = 5
    ) -> Iterator[RunEvent]:
        """The run's events (SSE), from ``after_seq`` on, until its terminal event.

        A dropped connection (or the server's stream time limit) is resumed with
        ``Last-Event-ID``, so no event is lost or repeated; after ``max_reconnects`` failed
        attempts in a row without a new event, the error is raised.

        Raises:
            NotFoundError: No such run.
            TransportError: The stream could not be resumed.
        """
        last, failures = after_seq, 0
        path = f"/v1/runs/{run_id}/events"
        timeout = httpx.Timeout(self._timeout_s, read=_core.STREAM_READ_TIMEOUT_S)
        while True:
            headers = {"Last-Event-ID": str(last)} if last else {}
            try:
                with connect_sse(self._http, "GET", path, headers=headers, timeout=timeout) as sse:
                    if sse.response.status_code == 204:  # resumed after the terminal event
                        return
                    if sse.response.is_error:
                        sse.response.read()
                        raise error_from_response(sse.response)
                    for message in sse.iter_sse():
                        if message.event == "error":  # time limit or read failure: resume
                            break
                        event = RunEvent.model_validate(_core.event_data(message.data))
                        last, failures = event.seq, 0
                        yield event
                        if event.terminal:
                            return
                cause: Exception | None = None
            except httpx.TransportError as error:
                cause = error
            failures += 1
            if failures > max_reconnects:
                raise TransportError(f"the event stream of {run_id} dropped") from cause
            time.sleep(min(self._retry.backoff_s * 2 ** (failures - 1), self._retry.max_backoff_s))
