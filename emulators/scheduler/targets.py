"""Delivering a job attempt to its target: a Pub/Sub publish or an HTTP request.

Pub/Sub targets publish the job's ``data`` and ``attributes`` through google-cloud-pubsub, so
they reach the Pub/Sub emulator that ``PUBSUB_EMULATOR_HOST`` names. HTTP targets are sent
with httpx, with the headers Google documents for ``HttpTarget``: ``User-Agent:
Google-Cloud-Scheduler``, ``X-CloudScheduler: true``, ``X-CloudScheduler-JobName`` (the job id),
``X-CloudScheduler-ScheduleTime`` (RFC 3339, UTC) and ``Content-Type:
application/octet-stream`` for a body without one. With ``oidc_token`` set, the request carries
``Authorization: Bearer <JWT>``: an *unsigned* (``alg: none``) token with Google's claims
(:mod:`emulators.oidc`).

The attempt's outcome is a ``google.rpc.Status``: OK for a publish or a 2xx answer, else the
gRPC code that matches the failure (HTTP status mapped as google-api-core maps it).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import grpc
import httpx
from google.api_core import exceptions as api_exceptions
from google.cloud.pubsub_v1 import PublisherClient
from google.cloud.scheduler_v1 import HttpMethod, Job
from google.rpc import status_pb2

from emulators.oidc import unsigned_id_token
from emulators.scheduler.jobs import Attempt, Clock, system_clock

logger = logging.getLogger(__name__)

_DEFAULT_HTTP_DEADLINE = timedelta(minutes=3)  # Google's default attempt_deadline for HTTP
_PUBLISH_TIMEOUT_S = 30.0
# Headers Cloud Scheduler computes or sets itself, whatever the job says (HttpTarget.headers).
_REPLACED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "user-agent",
        "x-cloudscheduler",
        "x-cloudscheduler-jobname",
        "x-cloudscheduler-scheduletime",
    }
)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _status(code: grpc.StatusCode, message: str = "") -> status_pb2.Status:
    return status_pb2.Status(code=code.value[0], message=message)


class TargetDispatcher:
    """Sends attempts to their targets; thread-safe, so attempts can run in parallel.

    Args:
        publisher: Pub/Sub client, or None when no Pub/Sub emulator is configured (Pub/Sub
            targets then fail with FAILED_PRECONDITION rather than reach Google).
        http: HTTP client for HTTP targets.
        clock: Source of the current time, for the OIDC token's ``iat`` and ``exp``.
    """

    def __init__(
        self,
        publisher: PublisherClient | None,
        http: httpx.Client,
        clock: Clock = system_clock,
    ) -> None:
        self._publisher = publisher
        self._http = http
        self._clock = clock

    def __call__(self, attempt: Attempt) -> status_pb2.Status:
        """Deliver ``attempt`` and report the outcome (never raises for target failures).

        Args:
            attempt: The attempt to deliver.

        Returns:
            OK, or the error as a ``google.rpc.Status``.
        """
        if "pubsub_target" in attempt.job:
            status = self._publish(attempt.job)
        else:
            status = self._request(attempt)
        logger.log(
            logging.INFO if status.code == 0 else logging.WARNING,
            "job %s, attempt scheduled for %s: code %d %s",
            attempt.job.name,
            attempt.schedule_time.isoformat(),
            status.code,
            status.message,
        )
        return status

    def _publish(self, job: Job) -> status_pb2.Status:
        if self._publisher is None:
            return _status(grpc.StatusCode.FAILED_PRECONDITION, "PUBSUB_EMULATOR_HOST is not set")
        target = job.pubsub_target
        try:
            self._publisher.publish(
                target.topic_name, target.data, **dict(target.attributes)
            ).result(timeout=_PUBLISH_TIMEOUT_S)
        except api_exceptions.GoogleAPICallError as error:
            code = error.grpc_status_code or grpc.StatusCode.UNKNOWN
            return _status(code, f"publish to {target.topic_name} failed: {error.message}")
        except (TimeoutError, api_exceptions.RetryError):
            return _status(
                grpc.StatusCode.DEADLINE_EXCEEDED, f"publish to {target.topic_name} timed out"
            )
        return _status(grpc.StatusCode.OK)

    def _request(self, attempt: Attempt) -> status_pb2.Status:
        job = attempt.job
        target = job.http_target
        method = HttpMethod(target.http_method or HttpMethod.POST).name
        headers = {
            **{k: v for k, v in target.headers.items() if k.lower() not in _REPLACED_HEADERS},
            "User-Agent": "Google-Cloud-Scheduler",
            "X-CloudScheduler": "true",
            "X-CloudScheduler-JobName": job.name.rpartition("/jobs/")[2],
            "X-CloudScheduler-ScheduleTime": _rfc3339(attempt.schedule_time),
        }
        if target.body and not any(k.lower() == "content-type" for k in target.headers):
            headers["Content-Type"] = "application/octet-stream"
        if "oidc_token" in target:
            oidc = target.oidc_token
            email = oidc.service_account_email
            token = unsigned_id_token(
                email, oidc.audience or target.uri, self._clock().timestamp(), {"azp": email}
            )
            headers["Authorization"] = f"Bearer {token}"
        deadline = job.attempt_deadline if "attempt_deadline" in job else _DEFAULT_HTTP_DEADLINE
        try:
            response = self._http.request(
                method,
                target.uri,
                headers=headers,
                content=target.body or None,
                timeout=deadline.total_seconds(),
            )
        except httpx.TimeoutException:
            return _status(grpc.StatusCode.DEADLINE_EXCEEDED, f"{method} {target.uri} timed out")
        except httpx.HTTPError as error:
            return _status(grpc.StatusCode.UNAVAILABLE, f"{method} {target.uri} failed: {error}")
        if response.is_success:
            return _status(grpc.StatusCode.OK)
        code = api_exceptions.from_http_status(response.status_code, "").grpc_status_code
        return _status(
            code or grpc.StatusCode.UNKNOWN,
            f"{method} {target.uri} answered HTTP {response.status_code}",
        )
