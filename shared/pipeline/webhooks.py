"""Signed webhooks out of Switchyard: deliveries and alerts, with the Standard Webhooks scheme.

Each request carries ``webhook-id`` (the idempotency key: a retry sends the same id, and
receivers dedupe on it), ``webhook-timestamp`` and ``webhook-signature`` (``v1,<base64
HMAC-SHA256>`` over ``id.timestamp.body``), made by the ``standardwebhooks`` package.
Spec: https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
from standardwebhooks import Webhook

from shared import resources
from shared.composition import Dependencies
from shared.errors import TransientError
from shared.tools.egress import check_destination, parse_networks
from shared.tools.safe_http import pooled_client

TIMEOUT_S = 10.0


def send_signed(
    deps: Dependencies,
    org_id: str,
    url: str,
    webhook_id: str,
    payload: dict[str, Any],
    at: datetime,
) -> int:
    """POST ``payload`` as JSON to ``url``, signed with the organisation's secret.

    Args:
        deps: Dependencies (secrets, settings).
        org_id: Whose signing secret to use.
        url: Target URL; must pass the egress check.
        webhook_id: Stable id of this message (same on every retry).
        payload: JSON body.
        at: Signing timestamp (UTC).

    Returns:
        The target's HTTP status code (2xx means accepted).

    Raises:
        PolicyViolationError: Code ``egress_refused``.
        NotFoundError: The organisation has no signing secret.
        TransientError: Code ``webhook_unreachable`` (connection failure or timeout).
    """
    networks = parse_networks(deps.settings.egress_allowed_networks)
    check_destination(url, networks)  # refuses early, before the secret is read
    secret = deps.secrets.access(resources.webhook_signing_secret_id(org_id)).decode()
    body = json.dumps(payload, default=str, ensure_ascii=False)
    signature = Webhook(secret).sign(webhook_id, at, body)
    headers = {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "user-agent": "Switchyard-Webhooks/1",
    }
    try:
        # The proxy's client: the connection goes to the address the egress rules approved.
        response = pooled_client(networks).post(
            url, content=body.encode(), headers=headers, timeout=TIMEOUT_S
        )
    except httpx.HTTPError as error:
        raise TransientError(
            "webhook_unreachable", f"POST to {httpx.URL(url).host} failed: {error}"
        ) from None
    return response.status_code
