"""A webhook arrives: verify it, deduplicate it, map it, and start one run.

The order matters: the signature is checked on the raw body before anything is parsed or
stored, so an unsigned request costs two reads (the endpoint, its keyring) and creates nothing.
Then the payload is parsed, the sender's handshakes are answered (GitHub's ``ping``, Slack's
``url_verification``), and the delivery id is claimed as a receipt for seven days: a delivery
seen before answers with the first response and starts no run. Delivery ids:

=========  ===========================================================
standard   the ``webhook-id`` header
github     the ``X-GitHub-Delivery`` header
stripe     the event's ``id`` in the body (``evt_...``)
slack      the event's ``event_id`` in the body (Events API)
=========  ===========================================================

Without one, the digest of the signature header stands in: a replayed request carries the same
signature, a new one a new timestamp or body and so a new signature.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from shared.composition import Dependencies
from shared.domain.runs import TriggerKind
from shared.domain.spec import WebhookTrigger
from shared.domain.triggers import ReceiptKind, WebhookEndpoint
from shared.errors import NotFoundError, PermanentError
from shared.pipeline.trigger import request_run
from shared.triggers.idempotency import Outcome, fingerprint, run_once
from shared.triggers.keyring import load_keyring
from shared.triggers.mapping import map_input
from shared.triggers.signatures import verify_signature

MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 64
FORM_TYPE = "application/x-www-form-urlencoded"
_DELIVERY_ID = re.compile(r"[\x21-\x7e]{1,256}")
_SIGNATURE_HEADERS = (
    "webhook-signature",
    "x-hub-signature-256",
    "stripe-signature",
    "x-slack-signature",
)


@dataclass(frozen=True)
class HookRequest:
    """A webhook request as the edge received it.

    Attributes:
        trigger_id: The last part of ``/v1/hooks/{trigger_id}``.
        body: The raw body, at most ``MAX_BODY_BYTES``.
        headers: Headers, names in lower case.
        content_type: The media type without parameters, lower case (``application/json``).
    """

    trigger_id: str
    body: bytes
    headers: Mapping[str, str]
    content_type: str


def trigger_not_found(trigger_id: str) -> NotFoundError:
    """The error for a webhook trigger that does not exist or is disabled (HTTP 404)."""
    return NotFoundError("trigger_not_found", f"no webhook trigger {trigger_id}")


def _invalid_payload(why: str) -> PermanentError:
    return PermanentError("invalid_payload", f"the webhook body {why}")


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest


def parse_payload(body: bytes, content_type: str) -> Any:
    """The payload: JSON, or for form posts (Slack commands, GitHub's form option) the fields.

    Raises:
        PermanentError: Code ``invalid_payload`` (HTTP 400): not UTF-8, not JSON, not a form,
            or nested deeper than ``MAX_DEPTH``.
    """
    if not body:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid_payload("is not UTF-8") from None
    try:
        if content_type == FORM_TYPE:
            fields = parse_qs(text, keep_blank_values=True, strict_parsing=True)
            form: dict[str, Any] = {n: v[0] if len(v) == 1 else v for n, v in fields.items()}
            lone = form.get("payload")  # GitHub's and Slack's forms carry JSON in one field
            payload = (
                json.loads(lone) if set(form) == {"payload"} and isinstance(lone, str) else form
            )
        else:
            payload = json.loads(text)
    except (ValueError, RecursionError, TypeError):
        raise _invalid_payload("is neither JSON nor a form") from None
    if _depth(payload) > MAX_DEPTH:
        raise _invalid_payload(f"is nested deeper than {MAX_DEPTH} levels")
    return payload


def _handshake(
    endpoint: WebhookEndpoint, headers: Mapping[str, str], payload: Any
) -> Outcome | None:
    if endpoint.preset == "github" and headers.get("x-github-event") == "ping":
        return Outcome(200, {"ok": True, "event": "ping"}, replayed=False)
    if (
        endpoint.preset == "slack"
        and isinstance(payload, dict)
        and payload.get("type") == "url_verification"
        and isinstance(payload.get("challenge"), str)
    ):
        return Outcome(200, {"challenge": payload["challenge"]}, replayed=False)
    return None


def delivery_id(endpoint: WebhookEndpoint, headers: Mapping[str, str], payload: Any) -> str:
    """The id that identifies this delivery across the sender's retries (module docstring)."""
    candidate: Any = None
    if endpoint.preset == "standard":
        candidate = headers.get("webhook-id")
    elif endpoint.preset == "github":
        candidate = headers.get("x-github-delivery")
    elif isinstance(payload, dict):
        candidate = payload.get("id" if endpoint.preset == "stripe" else "event_id")
    if isinstance(candidate, str) and _DELIVERY_ID.fullmatch(candidate):
        return candidate
    signatures = "\n".join(headers.get(name, "") for name in _SIGNATURE_HEADERS)
    return "signature:" + hashlib.sha256(signatures.encode()).hexdigest()


def receive_webhook(deps: Dependencies, request: HookRequest) -> Outcome:
    """Verify a webhook and start at most one run per delivery.

    Args:
        deps: Dependencies.
        request: The request.

    Returns:
        202 ``{"run_id", "status"}`` for a new run; a replayed delivery's first response
        (``replayed``); 200 for a handshake.

    Raises:
        NotFoundError: Code ``trigger_not_found``: no such trigger, or it is disabled.
        UnauthenticatedError: The signature is missing or wrong, or its time is off (401).
        PermanentError: Codes ``webhook_signature_malformed``, ``invalid_payload``,
            ``input_mapping_failed`` (400).
        ValidationError: Code ``input_too_large`` (422).
        ConflictError: Codes ``idempotency_key_in_flight`` (this delivery is being processed),
            ``agent_inactive`` (409).
        TransientError: A store, the secret service or the broker is unavailable (503).
    """
    endpoint = deps.triggers.get_webhook(request.trigger_id)
    if not endpoint.enabled:
        raise trigger_not_found(request.trigger_id)
    now = deps.clock()
    keyring = load_keyring(deps, endpoint.secret_id)
    verify_signature(endpoint.preset, keyring.valid_at(now), request.body, request.headers, now)

    payload = parse_payload(request.body, request.content_type)
    handshake = _handshake(endpoint, request.headers, payload)
    if handshake is not None:
        return handshake
    delivery = delivery_id(endpoint, request.headers, payload)

    def start(run_id: str) -> tuple[int, dict[str, Any]]:
        agent = deps.agents.get_agent(endpoint.org_id, endpoint.agent_id)
        trigger = deps.agents.get_version(agent.org_id, agent.agent_id, agent.latest_version)
        if not isinstance(trigger.spec.trigger, WebhookTrigger):
            raise trigger_not_found(request.trigger_id)
        run_input = map_input(trigger.spec.trigger.input, payload)
        run = request_run(
            deps, agent.org_id, agent.agent_id, run_input, TriggerKind.WEBHOOK,
            run_id=run_id, environment=trigger.spec.trigger.environment,
        )  # fmt: skip
        return 202, {"run_id": run.run_id, "status": run.status.value}

    return run_once(
        deps,
        ReceiptKind.WEBHOOK_RECEIPT,
        endpoint.trigger_id,
        delivery,
        fingerprint(delivery),
        start,
    )
