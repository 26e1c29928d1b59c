"""Cloud Tasks requests in: decode the task body, run the handler, answer 2xx or 503.

Cloud Tasks retries any non-2xx answer with the queue's backoff. So: success, a stale task, or a
task that can never succeed (unknown run) answers 2xx and is logged; a malformed body is
dead-lettered on ``tasks-dlq`` and the run it names, if any, failed (:func:`reject`); a
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
from shared.errors import NotFoundError, PermanentError, RateLimitedError, TransientError
from shared.transport.poison import fail_named_run

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
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        malformed = PermanentError("malformed_task", f"invalid {payload_type.__name__}: {problems}")
        return reject(deps, body, headers, malformed)
    try:
        handler(deps, payload, attempt_of(headers), max_attempts_of(headers))
    except RateLimitedError as error:
        return 429, {"Retry-After": str(max(1, round(error.retry_after_s)))}
    except TransientError as error:
        logger.warning("task %s will be retried: %s", payload_type.__name__, error.message)
        return 503, {}
    except NotFoundError as error:  # a task naming no run, step or target: nothing to do it for
        return reject(deps, body, headers, error)
    except PermanentError as error:
        logger.error("task %s stopped: %s (%s)", payload_type.__name__, error.message, error.code)
    return 204, {}


def reject(
    deps: Dependencies, body: bytes, headers: Mapping[str, str], reason: PermanentError
) -> tuple[int, dict[str, str]]:
    """Dead-letter a task that can never be done, and fail the run it names, if any.

    Cloud Tasks has no dead-letter queue, so the body goes unchanged to
    :data:`~shared.resources.TASK_DEAD_LETTER_TOPIC` with attributes ``error_code`` (such as
    ``malformed_task`` or ``run_not_found``), ``error_message``, ``queue`` and ``task``.

    Returns:
        ``(204, {})`` once both are done, so the task is not retried; ``(503, {})`` when the
        dead-letter topic or the store failed, so it is.
    """
    queue = _header(headers, "X-CloudTasks-QueueName") or ""
    task = _header(headers, "X-CloudTasks-TaskName") or ""
    logger.error(
        "dead-lettering task %s on %s: %s",
        task,
        queue,
        reason.message,
        extra={"json_fields": {"code": reason.code, "queue": queue}},
    )
    attributes = {
        "error_code": reason.code,
        "error_message": reason.message[:1000],
        "queue": queue,
        "task": task,
    }
    try:
        deps.publisher.publish_raw(resources.TASK_DEAD_LETTER_TOPIC, body, attributes)
        fail_named_run(deps, body, reason)
    except TransientError as failed:
        logger.warning("dead letter of task %s kept for a retry: %s", task, failed.message)
        return 503, {}
    return 204, {}
