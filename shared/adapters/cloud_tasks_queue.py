"""CloudTasksQueue: executor work items as Cloud Tasks HTTP tasks.

Each task POSTs the payload's JSON to ``settings.executor_url + path``. With a service account
email, Cloud Tasks signs an OIDC token for the executor (a private Cloud Run service); its
audience is the executor's base URL, the audience Cloud Run checks by default.

Deduplication rides on task names: Cloud Tasks refuses a name that exists or that was deleted or
executed within about an hour (``CreateTaskRequest.task``), so a task id derived from the work
makes a duplicate enqueue harmless. Google recommends "hashed strings for the task id or for the
prefix of the task id", as sequential ids raise latency and error rates (same reference), so
:func:`task_name_id` puts a hash of the id first.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from google.api_core.exceptions import AlreadyExists, GoogleAPIError
from google.cloud import tasks_v2

from shared.domain.base import Model
from shared.errors import TransientError
from shared.gcp_clients import cloud_tasks_client
from shared.ports.task_queue import TaskQueue
from shared.settings import Settings

_HASH_CHARS = 12
_MAX_TASK_ID_CHARS = 500  # Cloud Tasks: TASK_ID is [A-Za-z0-9_-]{1,500}
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def task_name_id(task_id: str) -> str:
    """The Cloud Tasks ``TASK_ID`` of a task id: ``<12 hex digits of sha256>-<sanitised id>``.

    The hash spreads names over the key space and keeps ids apart that sanitise alike
    (``run/1`` and ``run:1``); the readable rest, with every character outside
    ``[A-Za-z0-9_-]`` replaced by ``_``, is cut to fit 500 characters.

    Args:
        task_id: The caller's deterministic id, such as ``"run-7f3a:step-2:call-0"``.

    Returns:
        A valid ``TASK_ID``, the same for the same ``task_id``.
    """
    digest = hashlib.sha256(task_id.encode()).hexdigest()[:_HASH_CHARS]
    readable = _NOT_ALLOWED.sub("_", task_id)[: _MAX_TASK_ID_CHARS - _HASH_CHARS - 1]
    return f"{digest}-{readable}"


class CloudTasksQueue(TaskQueue):
    """Enqueues on the queues of ``settings.project_id`` in ``settings.region``.

    Args:
        settings: Project, region and ``executor_url``; also builds the default client.
        service_account_email: Identity whose OIDC token authenticates each task to the
            executor, or None to send none (the local stack, a public executor).
        client: Cloud Tasks client; ``shared.gcp_clients.cloud_tasks_client(settings)`` when
            None.

    A missing ``executor_url`` fails :meth:`enqueue`, not construction, so that a process
    that never enqueues (and so has no executor URL configured) can still build its
    dependencies.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        service_account_email: str | None = None,
        client: tasks_v2.CloudTasksClient | None = None,
    ) -> None:
        self._executor_url = (settings.executor_url or "").rstrip("/")
        self._client = client or cloud_tasks_client(settings)
        self._location = self._client.common_location_path(settings.project_id, settings.region)
        self._service_account_email = service_account_email

    def enqueue(
        self, queue: str, path: str, payload: Model, *, task_id: str, delay_s: float = 0.0
    ) -> bool:
        """See :meth:`TaskQueue.enqueue`; the task is named by :func:`task_name_id`.

        Every failure other than a taken name is transient, a missing queue, permission or
        executor URL included: a deploy fixes those, and the caller's retry keeps the work
        until then.

        Raises:
            TransientError: Code ``task_queue_unavailable``.
        """
        if not self._executor_url:
            raise TransientError(
                "task_queue_unavailable", "no executor URL is configured (SWITCHYARD_EXECUTOR_URL)"
            )
        request = tasks_v2.HttpRequest(
            http_method=tasks_v2.HttpMethod.POST,
            url=self._executor_url + path,
            headers={"Content-Type": "application/json"},
            body=payload.model_dump_json().encode(),
        )
        if self._service_account_email:
            request.oidc_token = tasks_v2.OidcToken(
                service_account_email=self._service_account_email, audience=self._executor_url
            )
        task = tasks_v2.Task(
            name=f"{self._location}/queues/{queue}/tasks/{task_name_id(task_id)}",
            http_request=request,
        )
        if delay_s > 0:
            task.schedule_time = datetime.now(UTC) + timedelta(seconds=delay_s)
        try:
            self._client.create_task(parent=f"{self._location}/queues/{queue}", task=task)
        except AlreadyExists:
            return False
        except GoogleAPIError as error:
            raise TransientError(
                "task_queue_unavailable", f"enqueueing on {queue} failed: {error!r}"
            ) from error
        return True
