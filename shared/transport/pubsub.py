"""Pipeline messages in: decode a Pub/Sub push envelope, run a stage, decide ack or retry.

The envelope is the same in both deployed shapes: a Cloud Function's CloudEvent data (Eventarc,
or functions-framework converting a raw push) and a Cloud Run push body are both
``{"message": {"data": <base64>, "attributes": {...}, "messageId": ...}, "subscription": ...}``.

Outcomes: the stage succeeded or the run had moved on → ACK. A TransientError → RETRY (Pub/Sub
redelivers with the subscription's backoff, then dead-letters). A message that cannot be decoded,
or names no run → published to the subscription's dead-letter topic with the reason and ACKed,
so a poison message never blocks or crashes a worker; a garbled message that still names a run
fails that run with the reason (:mod:`shared.transport.poison`).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

import pydantic

from shared.composition import Dependencies
from shared.domain.messages import RunMessage
from shared.errors import NotFoundError, PermanentError, TransientError
from shared.resources import Subscription
from shared.transport.poison import fail_named_run

logger = logging.getLogger(__name__)

StageHandler = Callable[[Dependencies, str], object]


class Outcome(StrEnum):
    """What the transport should do with the message."""

    ACK = "ack"
    RETRY = "retry"


def decode(envelope: Any) -> tuple[RunMessage, dict[str, str], bytes]:
    """Decode a push envelope.

    Returns:
        ``(message, attributes, raw_data)``.

    Raises:
        PermanentError: Code ``malformed_message``, saying what is wrong.
    """
    try:
        message = envelope["message"]
        raw = base64.b64decode(message.get("data") or "", validate=True)
        attributes = {str(k): str(v) for k, v in (message.get("attributes") or {}).items()}
    except (TypeError, KeyError, AttributeError, binascii.Error) as error:
        raise PermanentError(
            "malformed_message", f"not a Pub/Sub push envelope: {error!r}"
        ) from None
    try:
        return RunMessage.model_validate_json(raw), attributes, raw
    except pydantic.ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise PermanentError("malformed_message", f"invalid run message: {problems}") from None


def dead_letter(
    deps: Dependencies,
    subscription: Subscription,
    raw: bytes,
    attributes: Mapping[str, str],
    error: PermanentError,
) -> None:
    """Publish a message that cannot be processed to ``subscription``'s dead-letter topic.

    The data goes unchanged, with the original attributes plus ``error_code`` and
    ``error_message``, so an operator can read why and replay it.

    Raises:
        TransientError: The dead-letter publish failed; the caller should ask for redelivery.
    """
    logger.error(
        "dead-lettering a message on %s: %s",
        subscription.name,
        error.message,
        extra={"json_fields": {"code": error.code, "subscription": subscription.name}},
    )
    deps.publisher.publish_raw(
        subscription.dead_letter_topic,
        raw,
        {**attributes, "error_code": error.code, "error_message": error.message[:1000]},
    )


def process(
    deps: Dependencies, envelope: Any, subscription: Subscription, handler: StageHandler
) -> Outcome:
    """Decode ``envelope``, run ``handler(deps, run_id)``, and map the result to an outcome.

    Args:
        deps: Dependencies.
        envelope: The parsed push body (see the module docstring).
        subscription: The subscription the message came through (its dead-letter topic is used).
        handler: The stage's use case.

    Returns:
        ACK or RETRY.
    """
    try:
        message, attributes, raw = decode(envelope)
    except PermanentError as error:
        return reject(deps, subscription, envelope, error)
    try:
        handler(deps, message.run_id)
    except TransientError as error:
        logger.warning("retrying run %s: %s", message.run_id, error.message)
        return Outcome.RETRY
    except NotFoundError as error:
        dead_letter(deps, subscription, raw, attributes, error)
    except PermanentError as error:
        logger.error("run %s: %s (%s)", message.run_id, error.message, error.code)
    return Outcome.ACK


def reject(
    deps: Dependencies, subscription: Subscription, envelope: Any, error: PermanentError
) -> Outcome:
    """Dead-letter an envelope that did not decode, and fail the run it names, if any.

    Returns:
        ACK once both are done; RETRY when the dead-letter topic or the store failed.
    """
    raw, attributes = undecoded(envelope)
    try:
        dead_letter(deps, subscription, raw, attributes, error)
        fail_named_run(deps, raw, error)
    except TransientError as failed:
        logger.warning("poison message on %s kept for a retry: %s", subscription.name, failed)
        return Outcome.RETRY
    return Outcome.ACK


def undecoded(envelope: Any) -> tuple[bytes, dict[str, str]]:
    """Whatever data and attributes can be salvaged from an envelope that did not decode."""
    try:
        raw = base64.b64decode(envelope["message"]["data"])
    except Exception:  # keep whatever arrived, undecoded, for the dead letter
        raw = repr(envelope).encode()[:10_000]
    try:
        attributes = {str(k): str(v) for k, v in envelope["message"]["attributes"].items()}
    except Exception:  # a malformed envelope may have no usable attributes
        attributes = {}
    return raw, attributes
