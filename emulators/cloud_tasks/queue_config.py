"""From a ``Queue`` message to the queue's effective policies, and UpdateQueue's field mask.

Google fills every setting left unspecified at creation with its default and reports the
result (``GetQueue`` shows all of them). Proto3 cannot tell an unset number from 0, so 0 means
"unspecified" for ``max_dispatches_per_second``, ``max_concurrent_dispatches``,
``max_attempts`` and ``max_doublings``; duration fields have presence and keep an explicit 0.
"""

from __future__ import annotations

from datetime import timedelta

import grpc
import pydantic
from google.cloud import tasks_v2
from google.protobuf import field_mask_pb2

from emulators.cloud_tasks.policy import RatePolicy, RetryPolicy
from emulators.grpc_service import RpcError


def _rate_policy(limits: tasks_v2.RateLimits) -> RatePolicy:
    given = {
        "max_dispatches_per_second": limits.max_dispatches_per_second,
        "max_concurrent_dispatches": limits.max_concurrent_dispatches,
    }
    return RatePolicy.model_validate({key: value for key, value in given.items() if value})


def retry_policy(config: tasks_v2.RetryConfig, base: RetryPolicy | None = None) -> RetryPolicy:
    """The retry policy a ``RetryConfig`` describes.

    Args:
        config: Queue- or task-level retry config; unspecified fields come from ``base``.
        base: Policy supplying unspecified fields; Google's defaults when None.

    Returns:
        The validated policy.

    Raises:
        RpcError: INVALID_ARGUMENT when a value is out of Google's range (max_attempts < -1,
            negative durations or doublings, min_backoff above max_backoff).
    """
    given: dict[str, float] = {}
    if config.max_attempts:
        given["max_attempts"] = config.max_attempts
    if config.max_doublings:
        given["max_doublings"] = config.max_doublings
    for field in ("max_retry_duration", "min_backoff", "max_backoff"):
        if field in config:
            given[f"{field}_s"] = getattr(config, field).total_seconds()
    try:
        if base is None:
            return RetryPolicy.model_validate(given)
        return RetryPolicy.model_validate(base.model_dump() | given)
    except pydantic.ValidationError as error:
        raise RpcError(
            grpc.StatusCode.INVALID_ARGUMENT, f"invalid retry_config: {error}"
        ) from error


def retry_config(policy: RetryPolicy) -> tasks_v2.RetryConfig:
    """The ``RetryConfig`` message reporting ``policy`` with every field filled in."""
    return tasks_v2.RetryConfig(
        max_attempts=policy.max_attempts,
        max_retry_duration=timedelta(seconds=policy.max_retry_duration_s),
        min_backoff=timedelta(seconds=policy.min_backoff_s),
        max_backoff=timedelta(seconds=policy.max_backoff_s),
        max_doublings=policy.max_doublings,
    )


def effective(queue: tasks_v2.Queue) -> tuple[tasks_v2.Queue, RatePolicy, RetryPolicy]:
    """Validate a queue's settings and fill in the defaults.

    Args:
        queue: The queue as given to CreateQueue, or as merged by UpdateQueue.

    Returns:
        ``(queue_as_reported, rate_policy, retry_policy)``; the message carries the effective
        values, including the output-only ``max_burst_size``.

    Raises:
        RpcError: INVALID_ARGUMENT for values out of Google's ranges; UNIMPLEMENTED for the
            queue-level ``http_target`` and ``app_engine_routing_override``, which the emulator
            does not apply and so refuses rather than silently ignores.
    """
    for unsupported in ("http_target", "app_engine_routing_override"):
        if unsupported in queue:
            raise RpcError(
                grpc.StatusCode.UNIMPLEMENTED, f"the emulator does not support {unsupported}"
            )
    try:
        rate = _rate_policy(queue.rate_limits)
    except pydantic.ValidationError as error:
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"invalid rate_limits: {error}") from error
    retry = retry_policy(queue.retry_config)
    reported = tasks_v2.Queue(queue)
    reported.rate_limits = tasks_v2.RateLimits(
        max_dispatches_per_second=rate.max_dispatches_per_second,
        max_burst_size=rate.max_burst_size,
        max_concurrent_dispatches=rate.max_concurrent_dispatches,
    )
    reported.retry_config = retry_config(retry)
    return reported, rate, retry


def merged(
    current: tasks_v2.Queue, patch: tasks_v2.Queue, mask: field_mask_pb2.FieldMask
) -> tasks_v2.Queue:
    """The queue UpdateQueue asks for: ``current`` with the masked fields of ``patch``.

    Google: "A mask used to specify which fields of the queue are being updated. If empty, then
    all fields will be updated." A masked message field is replaced as a whole, so its unset
    subfields fall back to their defaults, as when the queue is created.

    Args:
        current: The stored queue.
        patch: The queue in the request.
        mask: The request's ``update_mask``.

    Returns:
        The merged queue; output-only fields keep their stored values. Defaults are not yet
        applied (see :func:`effective`).

    Raises:
        RpcError: INVALID_ARGUMENT when a mask path names no field of ``Queue``.
    """
    current_pb = tasks_v2.Queue.pb(current)
    if not mask.paths:
        result = tasks_v2.Queue(patch)
    else:
        if not mask.IsValidForDescriptor(current_pb.DESCRIPTOR):
            raise RpcError(
                grpc.StatusCode.INVALID_ARGUMENT, f"invalid update_mask: {list(mask.paths)}"
            )
        result = tasks_v2.Queue(current)
        mask.MergeMessage(
            tasks_v2.Queue.pb(patch), tasks_v2.Queue.pb(result), replace_message_field=True
        )
    # Google: "Output only fields cannot be modified using UpdateQueue".
    result.name = current.name
    result.state = current.state
    result_pb = tasks_v2.Queue.pb(result)
    result_pb.ClearField("purge_time")
    if current_pb.HasField("purge_time"):
        result_pb.purge_time.CopyFrom(current_pb.purge_time)
    return result
