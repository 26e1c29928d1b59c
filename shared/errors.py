"""Switchyard's one error tree: every error says whether retrying can help.

::

    SwitchyardError                (code: a stable, documented string)
    ├── PermanentError             retrying cannot help: drop, reject, answer 4xx
    │   ├── ValidationError        input does not match its schema (422 / 400)
    │   ├── NotFoundError          the resource does not exist for this caller (404)
    │   ├── ConflictError          the resource's state forbids the operation (409)
    │   ├── UnauthenticatedError   no or bad credentials (401)
    │   └── PolicyViolationError   a limit or a rule of the agent's spec forbids it (403 / stop)
    └── TransientError             retrying later may succeed: redeliver, retry, answer 503
        └── RateLimitedError       slow down; ``retry_after_s`` says for how long (429)

Each transport maps the tree once: a Cloud Function returns to drop and raises to retry; a
Pub/Sub push answers 2xx to ack and 503 to redeliver; a Cloud Task answers 2xx to stop and 503
to retry; the API answers ``application/problem+json`` (RFC 9457) with the status above.
Modelled on temporalio's ``ApplicationError(non_retryable=...)`` and inngest's
``NonRetriableError``.
"""

from __future__ import annotations

from typing import Any


class SwitchyardError(Exception):
    """Base of every Switchyard error.

    Attributes:
        code: Stable machine-readable code, such as ``"agent_not_found"``.
        message: Human-readable detail; never contains a secret.
        details: Extra JSON-serialisable fields for the problem document.
    """

    http_status = 500

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class PermanentError(SwitchyardError):
    """Retrying cannot help."""

    http_status = 400


class ValidationError(PermanentError):
    """Input does not match its schema; ``details["errors"]`` lists every problem."""

    http_status = 422


class NotFoundError(PermanentError):
    """The resource does not exist, or belongs to another organisation."""

    http_status = 404


class ConflictError(PermanentError):
    """The resource's current state forbids the operation."""

    http_status = 409


class UnauthenticatedError(PermanentError):
    """The request carries no valid credentials."""

    http_status = 401


class PolicyViolationError(PermanentError):
    """A limit or rule of the agent's spec forbids the operation."""

    http_status = 403


class TransientError(SwitchyardError):
    """A dependency failed in a way that retrying later may fix."""

    http_status = 503


class RateLimitedError(TransientError):
    """Too many requests; retry after ``retry_after_s`` seconds."""

    http_status = 429

    def __init__(self, code: str, message: str, retry_after_s: float, **details: Any) -> None:
        super().__init__(code, message, **details)
        self.retry_after_s = retry_after_s
