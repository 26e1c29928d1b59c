"""Sweep ticks in: decode a ``sweep-requested`` push, run the sweeper, ack or retry.

Cloud Scheduler's sweep job publishes a :class:`~shared.domain.messages.SweepTick` every minute
(``shared.resources.SWEEP_JOB_ID``). The envelope is the Pub/Sub push shape
:mod:`shared.transport.pubsub` decodes. Outcomes map as for every pipeline message: a sweep done
→ ACK (the runs it could not handle wait for the next tick: ``SweepReport.errors``); the run
store failing → RETRY; a message that does not decode → the subscription's
dead-letter topic, ACK. A tick names no run, so a garbled one fails none.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from typing import Any

import functions_framework
import pydantic
from cloudevents.http import CloudEvent

from shared import resources
from shared.composition import Dependencies, get_dependencies
from shared.domain.messages import SweepTick
from shared.errors import PermanentError, TransientError
from shared.logging import configure_logging
from shared.pipeline.sweeper import sweep
from shared.resources import Subscription
from shared.transport.functions import RetryRequested
from shared.transport.pubsub import Outcome, dead_letter, undecoded

logger = logging.getLogger(__name__)


def decode(envelope: Any) -> SweepTick:
    """Decode a push envelope of ``sweep-requested``.

    Raises:
        PermanentError: Code ``malformed_message``, saying what is wrong.
    """
    try:
        raw = base64.b64decode(envelope["message"].get("data") or "", validate=True)
    except (TypeError, KeyError, AttributeError, binascii.Error) as error:
        raise PermanentError(
            "malformed_message", f"not a Pub/Sub push envelope: {error!r}"
        ) from None
    try:
        return SweepTick.model_validate_json(raw)
    except pydantic.ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise PermanentError("malformed_message", f"invalid sweep tick: {problems}") from None


def process(deps: Dependencies, envelope: Any, subscription: Subscription) -> Outcome:
    """Decode ``envelope`` and sweep once.

    Returns:
        ACK, or RETRY when the run store could not be queried or a dead letter not published.
    """
    try:
        decode(envelope)
    except PermanentError as error:
        try:
            dead_letter(deps, subscription, *undecoded(envelope), error)
        except TransientError as failed:
            logger.warning("poison tick on %s kept for a retry: %s", subscription.name, failed)
            return Outcome.RETRY
        return Outcome.ACK
    try:
        sweep(deps)
    except TransientError as error:
        logger.warning("retrying the sweep: %s", error.message)
        return Outcome.RETRY
    return Outcome.ACK


def sweep_function(consumer: str) -> Callable[[CloudEvent], None]:
    """The CloudEvent function of consumer ``consumer`` (see ``cloud_event_stage``)."""
    subscription = resources.SUBSCRIPTIONS_BY_CONSUMER[consumer]

    def function(event: CloudEvent) -> None:
        deps = get_dependencies()
        configure_logging(deps.settings.project_id, deps.settings.log_level)
        if process(deps, event.get_data(), subscription) is Outcome.RETRY:
            raise RetryRequested(f"{consumer}: asking Pub/Sub to redeliver the tick")

    function.__name__ = function.__qualname__ = consumer
    return functions_framework.cloud_event(function)  # type: ignore[no-any-return]
