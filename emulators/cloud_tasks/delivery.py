"""One attempt of an HTTP task: the request Cloud Tasks sends, and what came of it.

The request carries the task's method, headers and body plus the headers Google documents for
HTTP target handlers (https://cloud.google.com/tasks/docs/creating-http-target-tasks):
``X-CloudTasks-QueueName``, ``-TaskName``, ``-TaskRetryCount``, ``-TaskExecutionCount``,
``-TaskETA`` and, after a response, ``-TaskPreviousResponse``. A task with ``oidc_token`` gets
``Authorization: Bearer <JWT>``, unsigned locally (:mod:`emulators.oidc`).
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

import grpc
import httpx
from google.api_core import exceptions
from google.cloud import tasks_v2

from emulators.cloud_tasks.names import parent_of, short_id
from emulators.grpc_service import RpcError
from emulators.oidc import unsigned_id_token

#: Google: "For HTTP tasks, the default is 10 minutes. The deadline must be in the interval
#: [15 seconds, 30 minutes]."
DEFAULT_DEADLINE_S = 600.0
MIN_DEADLINE_S = 15.0
MAX_DEADLINE_S = 1800.0

# Google: Host and Content-Length are computed, User-Agent is set to "Google-Cloud-Tasks", and
# X-Google-* / X-AppEngine-* are for Google's use; X-CloudTasks-* are the service's own.
_REPLACED = frozenset({"host", "content-length", "user-agent"})
_RESERVED_PREFIXES = ("x-google-", "x-appengine-", "x-cloudtasks-")

# Google: "Cloud Tasks will use a higher backoff rate [on 429 and 503]. The retry specified in
# the Retry-After HTTP response header is considered."
_THROTTLING_STATUSES = frozenset({429, 503})

# HttpRequest.body: "A request body is allowed only if the HTTP method is POST, PUT, or PATCH."
_BODY_METHODS = frozenset(
    {
        tasks_v2.HttpMethod.HTTP_METHOD_UNSPECIFIED,  # means POST
        tasks_v2.HttpMethod.POST,
        tasks_v2.HttpMethod.PUT,
        tasks_v2.HttpMethod.PATCH,
    }
)


@dataclass(frozen=True)
class Dispatch:
    """The HTTP request of one attempt, fixed when the attempt is claimed.

    Attributes:
        task_name: Full task name.
        method: HTTP method, such as ``"POST"``.
        url: Target URL.
        headers: Header pairs to send.
        body: Request body (empty for none).
        deadline_s: Seconds to wait for the response (the task's ``dispatch_deadline``).
    """

    task_name: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    deadline_s: float


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to.

    Attributes:
        status_code: HTTP status of the response, or None when none arrived (connection
            error or deadline exceeded).
        rpc_code: The attempt's status as Google reports it in ``Attempt.response_status``.
        message: Short human-readable detail.
        retry_after_s: Seconds a 429 or 503 response asked to wait (``Retry-After``), or None.
    """

    status_code: int | None
    rpc_code: grpc.StatusCode
    message: str
    retry_after_s: float | None = None

    @property
    def succeeded(self) -> bool:
        """Google: the task is done when the handler answers ``200`` - ``299``."""
        return self.status_code is not None and 200 <= self.status_code < 300


def deadline_s(task: tasks_v2.Task) -> float:
    """The task's dispatch deadline in seconds (default 10 minutes)."""
    if "dispatch_deadline" in task:
        return float(task.dispatch_deadline.total_seconds())
    return DEFAULT_DEADLINE_S


def validated_deadline_s(task: tasks_v2.Task) -> float:
    """Check a new task the way CreateTask does, and return its dispatch deadline.

    Args:
        task: The task given to CreateTask.

    Returns:
        The dispatch deadline in seconds.

    Raises:
        RpcError: UNIMPLEMENTED for App Engine tasks; INVALID_ARGUMENT without an
            ``http_request``, for a URL not starting with ``http(s)://``, a body with a method
            other than POST, PUT or PATCH, or a deadline outside [15 s, 30 min].
    """
    if "app_engine_http_request" in task:
        raise RpcError(grpc.StatusCode.UNIMPLEMENTED, "the emulator runs HTTP tasks only")
    if "http_request" not in task:
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "task needs an http_request")
    request = task.http_request
    if not request.url.startswith(("http://", "https://")):
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "url must start with http(s)://")
    if request.body and request.http_method not in _BODY_METHODS:
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "body needs POST, PUT or PATCH")
    deadline = deadline_s(task)
    if not MIN_DEADLINE_S <= deadline <= MAX_DEADLINE_S:
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "dispatch_deadline not in [15s, 30m]")
    return deadline


def prepare(
    task: tasks_v2.Task,
    eta_s: float,
    retry_count: int,
    execution_count: int,
    previous_response: int | None,
    now: float,
) -> Dispatch:
    """Build the HTTP request of the task's next attempt.

    Args:
        task: The task; it must have ``http_request``.
        eta_s: The task's schedule time, in seconds since the epoch.
        retry_count: Attempts before this one (``X-CloudTasks-TaskRetryCount``).
        execution_count: Earlier responses other than 5xx (``X-CloudTasks-TaskExecutionCount``).
        previous_response: HTTP status of the previous attempt, or None.
        now: Current time in seconds since the epoch (for the OIDC token).

    Returns:
        The request to send.
    """
    request = task.http_request
    oidc = "oidc_token" in request
    headers = {
        key: value
        for key, value in request.headers.items()
        if key.lower() not in _REPLACED
        and not key.lower().startswith(_RESERVED_PREFIXES)
        and not (oidc and key.lower() == "authorization")
    }
    headers["User-Agent"] = "Google-Cloud-Tasks"
    headers["X-CloudTasks-QueueName"] = short_id(parent_of(task.name))
    headers["X-CloudTasks-TaskName"] = short_id(task.name)
    headers["X-CloudTasks-TaskRetryCount"] = str(retry_count)
    headers["X-CloudTasks-TaskExecutionCount"] = str(execution_count)
    headers["X-CloudTasks-TaskETA"] = f"{eta_s:.6f}"
    if previous_response is not None:
        headers["X-CloudTasks-TaskPreviousResponse"] = str(previous_response)
    if oidc:
        token = request.oidc_token
        audience = token.audience or request.url
        headers["Authorization"] = "Bearer " + unsigned_id_token(
            token.service_account_email, audience, now
        )
    method = tasks_v2.HttpMethod(request.http_method)
    return Dispatch(
        task_name=task.name,
        method="POST" if method == tasks_v2.HttpMethod.HTTP_METHOD_UNSPECIFIED else method.name,
        url=request.url,
        headers=tuple(headers.items()),
        body=request.body,
        deadline_s=deadline_s(task),
    )


def retry_after_s(value: str | None, now: float) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (RFC 9110 §10.2.3).

    Args:
        value: The header value: delay in seconds or an HTTP-date; None when absent.
        now: Current time in seconds since the epoch.

    Returns:
        The wait in seconds (never negative), or None when absent or unreadable.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def send(client: httpx.Client, dispatch: Dispatch, clock: Callable[[], float]) -> Outcome:
    """Send one attempt and classify the result; never raises for transport errors.

    Args:
        client: Shared HTTP client (thread-safe), following redirects as Google does.
        dispatch: The request to send.
        clock: Seconds since the epoch, read after the response for an HTTP-date
            ``Retry-After``.

    Returns:
        The outcome; a timeout is ``DEADLINE_EXCEEDED`` and any other transport error
        ``UNAVAILABLE``, both without a status code.
    """
    try:
        response = client.request(
            dispatch.method,
            dispatch.url,
            headers=list(dispatch.headers),
            content=dispatch.body or None,
            timeout=dispatch.deadline_s,
        )
    except httpx.TimeoutException:
        return Outcome(None, grpc.StatusCode.DEADLINE_EXCEEDED, "dispatch deadline exceeded")
    except httpx.HTTPError as error:
        return Outcome(None, grpc.StatusCode.UNAVAILABLE, f"{type(error).__name__}: {error}")
    status = response.status_code
    if 200 <= status < 300:
        return Outcome(status, grpc.StatusCode.OK, "OK")
    retry_after = None
    if status in _THROTTLING_STATUSES:
        retry_after = retry_after_s(response.headers.get("Retry-After"), clock())
    code = exceptions.from_http_status(status, "").grpc_status_code or grpc.StatusCode.UNKNOWN
    return Outcome(status, code, f"HTTP {status}", retry_after)
