"""The SDK's errors: one tree, each API error carrying the problem's stable ``code``.

::

    SwitchyardError
    ├── ApiError                  the API answered with an RFC 9457 problem (or a bare error)
    │   ├── BadRequestError       400 / 422: the request is wrong; do not retry
    │   ├── AuthenticationError   401: no key, or an invalid, expired or revoked one
    │   ├── PermissionDeniedError 403: the key may not do this
    │   ├── NotFoundError         404: no such resource in the key's organisation
    │   ├── ConflictError         409: the resource's state forbids it (run already ended, ...)
    │   ├── RateLimitedError      429: retryable after ``retry_after`` seconds
    │   └── ServerError           5xx; ``retryable`` for 503 (the dependency is unavailable)
    └── TransportError            the API could not be reached, or the connection dropped

``retryable`` says whether the same request may succeed later (the client retries those itself
a few times before raising).
"""

from __future__ import annotations

from typing import Any

import httpx


class SwitchyardError(Exception):
    """Base of every error the SDK raises."""

    retryable: bool = False


class TransportError(SwitchyardError):
    """The API could not be reached, or the connection dropped before an answer."""

    retryable = True


class ApiError(SwitchyardError):
    """The API answered with an error.

    Attributes:
        status: The HTTP status.
        code: The problem's stable code (``run_not_found``, ``invalid_parameter``, ...).
        detail: Human-readable explanation.
        problem: The whole problem document.
        retry_after: Seconds the server asked to wait (``Retry-After``), or None.
    """

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        problem: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.problem = problem or {}
        self.retry_after = retry_after


class BadRequestError(ApiError):
    """400 or 422: the request is malformed or invalid."""


class AuthenticationError(ApiError):
    """401: missing, invalid, expired or revoked API key."""


class PermissionDeniedError(ApiError):
    """403: the key's organisation or scopes do not allow this."""


class NotFoundError(ApiError):
    """404: no such resource in the key's organisation."""


class ConflictError(ApiError):
    """409: the resource's state forbids the operation."""


class RateLimitedError(ApiError):
    """429: too many requests; retry after ``retry_after`` seconds."""

    retryable = True


class ServerError(ApiError):
    """5xx: the API failed; 503 (a dependency is unavailable) is retryable."""

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        """True for 503 (and 502/504 from a proxy in front of the API)."""
        return self.status in (502, 503, 504)


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitedError,
}


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(raw))
    except ValueError:  # an HTTP date is allowed too; the API sends seconds
        return None


def error_from_response(response: httpx.Response) -> ApiError:
    """The error for a 4xx/5xx ``response`` (whose body has been read).

    Reads an ``application/problem+json`` body's ``code`` and ``detail``; any other body gives
    the code ``http_<status>``.
    """
    problem: dict[str, Any] = {}
    try:
        body = response.json()
        if isinstance(body, dict):
            problem = body
    except ValueError:
        pass
    status = response.status_code
    code = str(problem.get("code") or f"http_{status}")
    detail = str(problem.get("detail") or problem.get("title") or response.reason_phrase)
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return kind(status, code, detail, problem, _retry_after(response))
