"""Cloud Tasks requests in: decode the task body, run the handler, answer 2xx or 503.

Cloud Tasks retries any non-2xx answer with the queue's backoff. So: success, a stale task, or a
task that can never succeed (malformed body, unknown run) answers 2xx and is logged; a
TransientError answers 503 with ``Retry-After`` when known. The attempt number comes from
``X-CloudTasks-TaskRetryCount`` (0 on the first attempt), so handlers can record a failure on the
queue's last attempt instead of letting the task vanish.
Headers: https://cloud.google.com/tasks/docs/creating-http-target-tasks#handler
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TypeVar

import pydantic

from shared import resources
from shared.composition import Dependencies
from shared.domain.base import Model
from shared.errors import PermanentError, RateLimitedError, TransientError

logger = logging.getLogger(__name__)

P = TypeVar("P", bound=Model)


def attempt_of(headers: Mapping[str, str]) -> int:
    """This attempt's number, from 1, read from ``X-CloudTasks-TaskRetryCount``."""
    try:
        return int(_header(headers, "X-CloudTasks-TaskRetryCount") or "0") + 1
    except ValueError:
        return 1


def max_attempts_of(headers: Mapping[str, str]) -> int:
    """The ``max_attempts`` declared for the task's queue (``X-CloudTasks-QueueName``)."""
    queue = resources.QUEUES_BY_NAME.get(_header(headers, "X-CloudTasks-QueueName") or "")
    return queue.max_attempts if queue else resources.Queue("", 1, 1).max_attempts


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # HTTP header names are case-insensitive; WSGI servers re-case them.
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def process(
    deps: Dependencies,
    body: bytes,
    headers: Mapping[str, str],
    payload_type: type[P],
    handler: Callable[[Dependencies, P, int, int], object],
) -> tuple[int, dict[str, str]]:
    """Run ``handler(deps, payload, attempt, max_attempts)`` for one task request.

    Returns:
        ``(http_status, response_headers)``: 204 to finish the task, 503 (or 429) to retry.
    """
    try:
        payload = payload_type.model_validate_json(body)
    except pydantic.ValidationError as error:
        logger.error("dropping a malformed %s task: %s", payload_type.__name__, error)
        return 204, {}
    try:
        handler(deps, payload, attempt_of(headers), max_attempts_of(headers))
    except RateLimitedError as error:
        return 429, {"Retry-After": str(max(1, round(error.retry_after_s)))}
    except TransientError as error:
        logger.warning("task %s will be retried: %s", payload_type.__name__, error.message)
        return 503, {}
    except PermanentError as error:
        logger.error("task %s stopped: %s (%s)", payload_type.__name__, error.message, error.code)
    return 204, {}
