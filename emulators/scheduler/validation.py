"""The checks Cloud Scheduler makes on a job before it stores one, as INVALID_ARGUMENT errors.

Limits come from the ``google.cloud.scheduler.v1`` reference (``Job``, ``HttpTarget``,
``PubsubTarget``, ``RetryConfig``). App Engine targets and OAuth tokens are refused with
UNIMPLEMENTED: Switchyard uses neither, and an emulator that silently ignored them would lie.
"""

from __future__ import annotations

import re
from datetime import timedelta

import grpc
from google.cloud.scheduler_v1 import HttpMethod, Job

from emulators.grpc_service import RpcError
from emulators.scheduler.cron import CronSchedule, InvalidScheduleError

_PARENT_RE = re.compile(r"projects/(?P<project>[^/]+)/locations/[^/]+")
_JOB_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,500}")
_TOPIC_RE = re.compile(r"projects/(?P<project>[^/]+)/topics/[^/]+")
_BODY_METHODS = frozenset(
    {HttpMethod.HTTP_METHOD_UNSPECIFIED, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH}
)
_HTTP_DEADLINE_RANGE = (timedelta(seconds=15), timedelta(minutes=30))
_MAX_RETRY_COUNT = 5
_MAX_DESCRIPTION_CHARS = 500


def invalid(message: str) -> RpcError:
    """An INVALID_ARGUMENT error with ``message``."""
    return RpcError(grpc.StatusCode.INVALID_ARGUMENT, message)


def check_parent(parent: str) -> str:
    """Check a ``projects/<project>/locations/<location>`` parent.

    Returns:
        The project id, which a Pub/Sub target's topic must share.

    Raises:
        RpcError: INVALID_ARGUMENT for any other shape.
    """
    match = _PARENT_RE.fullmatch(parent)
    if match is None:
        raise invalid(f"invalid parent {parent!r}; want projects/*/locations/*")
    return match.group("project")


def check_job_name(name: str) -> None:
    """Check a ``projects/*/locations/*/jobs/<id>`` job name.

    Raises:
        RpcError: INVALID_ARGUMENT for a malformed name or job id.
    """
    parent, _, job_id = name.rpartition("/jobs/")
    check_parent(parent)
    if not _JOB_ID_RE.fullmatch(job_id):
        raise invalid(f"invalid job id {job_id!r}: letters, digits, - and _, at most 500")


def check_job(job: Job) -> CronSchedule:
    """Check a complete job (after create defaults or an update's merge).

    Args:
        job: The job, whose ``name`` is already checked.

    Returns:
        The job's parsed schedule.

    Raises:
        RpcError: INVALID_ARGUMENT for a bad schedule, time zone, description, target, retry
            count or attempt deadline; UNIMPLEMENTED for App Engine targets and OAuth tokens.
    """
    if len(job.description) > _MAX_DESCRIPTION_CHARS:
        raise invalid(f"description is longer than {_MAX_DESCRIPTION_CHARS} characters")
    if not job.schedule:
        raise invalid("schedule is required")
    try:
        schedule = CronSchedule.parse(job.schedule, job.time_zone)
    except InvalidScheduleError as error:
        raise invalid(str(error)) from error
    target = Job.pb(job).WhichOneof("target")
    if target == "pubsub_target":
        _check_pubsub_target(job)
    elif target == "http_target":
        _check_http_target(job)
    elif target == "app_engine_http_target":
        raise RpcError(grpc.StatusCode.UNIMPLEMENTED, "the emulator has no App Engine targets")
    else:
        raise invalid("a job needs a pubsub_target or an http_target")
    if not 0 <= job.retry_config.retry_count <= _MAX_RETRY_COUNT:
        raise invalid(f"retry_count must be between 0 and {_MAX_RETRY_COUNT}")
    return schedule


def _check_pubsub_target(job: Job) -> None:
    pubsub = job.pubsub_target
    match = _TOPIC_RE.fullmatch(pubsub.topic_name)
    if match is None:
        raise invalid(f"invalid topic_name {pubsub.topic_name!r}; want projects/*/topics/*")
    if match.group("project") != job.name.split("/")[1]:
        raise invalid("the topic must be in the same project as the job")
    if not pubsub.data and not pubsub.attributes:
        raise invalid("a Pub/Sub message needs non-empty data or at least one attribute")


def _check_http_target(job: Job) -> None:
    http = job.http_target
    if not http.uri.startswith(("http://", "https://")):
        raise invalid(f"uri {http.uri!r} must begin with http:// or https://")
    if http.body and http.http_method not in _BODY_METHODS:
        raise invalid(f"a body is not allowed with HTTP {http.http_method.name}")
    if "oauth_token" in http:
        raise RpcError(grpc.StatusCode.UNIMPLEMENTED, "the emulator has no OAuth tokens")
    if "attempt_deadline" in job:
        low, high = _HTTP_DEADLINE_RANGE
        if not low <= job.attempt_deadline <= high:
            raise invalid("attempt_deadline of an HTTP target must be between 15 s and 30 min")
