"""Scheduler ticks in: decode a ``run-scheduled`` push, run the cron intake, ack or retry.

The envelope is the Pub/Sub push shape :mod:`shared.transport.pubsub` decodes, but its data is
a :class:`~shared.domain.triggers.ScheduledTick` (no run exists yet), and the message's
``publishTime`` matters: it names the tick (:mod:`shared.triggers.cron_intake`). Outcomes map
as for every pipeline message: success or a permanent refusal → ACK; a TransientError (a queued
tick waiting, a failed dependency) → RETRY; a message that does not decode, or names no agent →
the subscription's dead-letter topic, ACK.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import functions_framework
import pydantic
from cloudevents.http import CloudEvent

from shared import resources
from shared.composition import Dependencies, get_dependencies
from shared.domain.triggers import ScheduledTick
from shared.errors import NotFoundError, PermanentError, TransientError
from shared.logging import configure_logging
from shared.resources import Subscription
from shared.transport.functions import RetryRequested
from shared.transport.pubsub import Outcome, dead_letter, undecoded

logger = logging.getLogger(__name__)

TickHandler = Callable[[Dependencies, ScheduledTick, datetime], object]


def decode(envelope: Any) -> tuple[ScheduledTick, datetime, dict[str, str], bytes]:
    """Decode a push envelope of ``run-scheduled``.

    Returns:
        ``(tick, published_at, attributes, raw_data)``.

    Raises:
        PermanentError: Code ``malformed_message``, saying what is wrong.
    """
    try:
        message = envelope["message"]
        raw = base64.b64decode(message.get("data") or "", validate=True)
        attributes = {str(k): str(v) for k, v in (message.get("attributes") or {}).items()}
        stamp = message.get("publishTime") or message.get("publish_time")
        published_at = datetime.fromisoformat(str(stamp)).astimezone(UTC)
    except (TypeError, KeyError, AttributeError, ValueError, binascii.Error) as error:
        raise PermanentError(
            "malformed_message", f"not a Pub/Sub push envelope with a publishTime: {error!r}"
        ) from None
    try:
        return ScheduledTick.model_validate_json(raw), published_at, attributes, raw
    except pydantic.ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise PermanentError("malformed_message", f"invalid scheduled tick: {problems}") from None


def process(
    deps: Dependencies, envelope: Any, subscription: Subscription, handler: TickHandler
) -> Outcome:
    """Decode ``envelope``, run ``handler(deps, tick, published_at)``, map the result.

    Returns:
        ACK or RETRY.
    """
    try:
        tick, published_at, attributes, raw = decode(envelope)
    except PermanentError as error:
        dead_letter(deps, subscription, *undecoded(envelope), error)
        return Outcome.ACK
    try:
        handler(deps, tick, published_at)
    except TransientError as error:
        logger.info("retrying the tick of agent %s: %s", tick.agent_id, error.message)
        return Outcome.RETRY
    except NotFoundError as error:
        dead_letter(deps, subscription, raw, attributes, error)
    except PermanentError as error:
        logger.error("tick of agent %s: %s (%s)", tick.agent_id, error.message, error.code)
    return Outcome.ACK


def scheduled_tick_function(consumer: str, handler: TickHandler) -> Callable[[CloudEvent], None]:
    """The CloudEvent function of consumer ``consumer`` (see ``cloud_event_stage``)."""
    subscription = resources.SUBSCRIPTIONS_BY_CONSUMER[consumer]

    def function(event: CloudEvent) -> None:
        deps = get_dependencies()
        configure_logging(deps.settings.project_id, deps.settings.log_level)
        if process(deps, event.get_data(), subscription, handler) is Outcome.RETRY:
            raise RetryRequested(f"{consumer}: asking Pub/Sub to redeliver the tick")

    function.__name__ = function.__qualname__ = consumer
    return functions_framework.cloud_event(function)  # type: ignore[no-any-return]
