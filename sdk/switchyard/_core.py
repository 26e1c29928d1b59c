"""What the sync and async clients share: requests as data, responses to models, retries."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel
from tenacity import (
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from switchyard.errors import ApiError, SwitchyardError, TransportError, error_from_response

M = TypeVar("M", bound=BaseModel)

USER_AGENT = "switchyard-python"
MAX_WAIT_S = 60.0  # the API's limit for GET /v1/runs/{id}?wait=
STREAM_READ_TIMEOUT_S = 60.0  # the API sends a keep-alive comment every 15 s
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a request that may succeed later.

    Retried: 429 and 503 (``Retry-After`` honoured, capped at ``max_backoff_s``), 502/504,
    and dropped connections of requests that are safe to repeat (idempotent methods, or a
    request with an ``Idempotency-Key``). Otherwise exponential backoff with jitter.

    Attributes:
        max_retries: Retries after the first attempt (0 disables retrying).
        backoff_s: First backoff, in seconds; doubles each retry.
        max_backoff_s: Longest single wait, in seconds.
    """

    max_retries: int = 3
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, ApiError) and error.retry_after is not None:
            return min(error.retry_after, self.max_backoff_s)
        backoff = wait_exponential_jitter(initial=self.backoff_s, max=self.max_backoff_s)
        return float(backoff(state))

    def tenacity_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``tenacity.Retrying`` / ``AsyncRetrying``."""
        return {
            "retry": retry_if_exception(
                lambda error: isinstance(error, SwitchyardError) and error.retryable
            ),
            "wait": self._wait,
            "stop": stop_after_attempt(self.max_retries + 1),
            "reraise": True,
        }


@dataclass(frozen=True)
class Call:
    """One API request, before it is sent.

    Attributes:
        method: HTTP method.
        path: Path under the base URL, such as ``/v1/runs/abc``.
        params: Query parameters (None values are left out).
        json_body: A JSON body, or None.
        content: A raw body (a YAML spec), or None.
        headers: Extra headers.
        timeout_s: Overrides the client's timeout (a ``wait`` needs longer).
    """

    method: str
    path: str
    params: Mapping[str, Any] = field(default_factory=dict)
    json_body: Any = None
    content: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float | None = None

    @property
    def repeatable(self) -> bool:
        """True when sending it twice has the effect of sending it once."""
        return self.method in IDEMPOTENT_METHODS or "Idempotency-Key" in self.headers

    def request_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client.request``."""
        kwargs: dict[str, Any] = {
            "params": {k: v for k, v in self.params.items() if v is not None},
            "headers": dict(self.headers),
        }
        if self.json_body is not None:
            kwargs["json"] = self.json_body
        if self.content is not None:
            kwargs["content"] = self.content
        if self.timeout_s is not None:
            kwargs["timeout"] = self.timeout_s
        return kwargs


Credential = str | Callable[[], str]
"""An API key, or a token provider: a callable giving a valid bearer token (a Firebase ID token
from :class:`switchyard.firebase.FirebaseSession`) each time it is called."""

ORG_HEADER = "X-Switchyard-Org"  # the organisation a signed-in person acts for


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>`` on every request, from a key or a token provider.

    A provider is asked on every request (and every retry), so a token it refreshed is used at
    once.
    """

    def __init__(self, credential: Credential) -> None:
        self._credential = credential

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header (httpx's hook, for sync and async clients alike)."""
        credential = self._credential
        token = credential if isinstance(credential, str) else credential()
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


def client_headers(org_id: str | None = None) -> dict[str, str]:
    """Headers every request carries (``X-Switchyard-Org`` when ``org_id`` is given)."""
    headers = {"User-Agent": USER_AGENT}
    if org_id:
        headers[ORG_HEADER] = org_id
    return headers


def spec_call(method: str, path: str, spec: str | Mapping[str, Any]) -> Call:
    """Create or update an agent from a YAML text or a spec document."""
    if isinstance(spec, str):
        return Call(method, path, content=spec, headers={"Content-Type": "application/yaml"})
    return Call(method, path, json_body=dict(spec))


def run_call(
    agent_id: str,
    run_input: Mapping[str, Any] | None,
    key: str | None,
    environment: str | None = None,
) -> Call:
    """Start a run (in ``environment``, the API's default ``prod`` when None); a random
    ``Idempotency-Key`` makes the client's retries safe."""
    body: dict[str, Any] = {"input": dict(run_input or {})}
    if environment is not None:
        body["environment"] = environment
    return Call(
        "POST",
        f"/v1/agents/{agent_id}/runs",
        json_body=body,
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def wait_call(run_id: str, wait_s: float, timeout_s: float) -> Call:
    """Read a run, holding the request up to ``wait_s`` seconds for its end."""
    wait_s = max(0.0, min(wait_s, MAX_WAIT_S))
    params = {"wait": f"{wait_s:g}"} if wait_s else {}
    return Call("GET", f"/v1/runs/{run_id}", params=params, timeout_s=timeout_s + wait_s)


def transport_error(call: Call, error: httpx.TransportError) -> TransportError:
    """The SDK's error for a connection that failed; retryable when the call is repeatable."""
    wrapped = TransportError(f"{call.method} {call.path}: {type(error).__name__}: {error}")
    never_sent = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
    wrapped.retryable = never_sent or call.repeatable
    return wrapped


def checked(response: httpx.Response) -> httpx.Response:
    """``response`` when it is a success.

    Raises:
        ApiError: The matching subclass for a 4xx/5xx answer.
    """
    if response.is_error:
        raise error_from_response(response)
    return response


def parse(response: httpx.Response, model: type[M]) -> M:
    """The response's JSON body as ``model``."""
    return model.model_validate(response.json())


def event_data(data: str) -> dict[str, Any]:
    """An SSE message's JSON data (an empty object when there is none)."""
    parsed = json.loads(data) if data else {}
    return parsed if isinstance(parsed, dict) else {"value": parsed}
