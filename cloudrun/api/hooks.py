"""``POST /v1/hooks/{trigger_id}``: a webhook trigger's URL, open to senders without an API key.

The sender proves itself by its signature instead (:mod:`shared.triggers.signatures`). The body
is read raw, at most 256 KiB (413 beyond), and handed to
:func:`shared.triggers.hooks.receive_webhook` untouched: verification sees the exact bytes
that were signed. Answers:

- 202 ``{"run_id", "status"}``: a run started;
- 200 ``{"run_id", "status", "replayed": true}``: the delivery was seen before, no new run;
- 200 for a sender's handshake (GitHub ``ping``, Slack ``url_verification``);
- problem+json otherwise: 404 unknown or disabled trigger, 401 missing or bad signature or a
  timestamp out of tolerance, 400 malformed signature header or body, 409 the same delivery
  is being processed, 413 body too large, 503 retry later.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from cloudrun.api.context import dependencies
from shared.triggers.hooks import MAX_BODY_BYTES, HookRequest, receive_webhook

bp = Blueprint("hooks", __name__, url_prefix="/v1/hooks")


@bp.post("/<trigger_id>")
def receive(trigger_id: str) -> tuple[Response, int]:
    """Verify the webhook and start at most one run (see the module docstring)."""
    request.max_content_length = MAX_BODY_BYTES
    body = request.get_data(cache=False)
    headers = {name.lower(): value for name, value in request.headers.items()}
    hook = HookRequest(trigger_id, body, headers, request.mimetype)
    outcome = receive_webhook(dependencies(), hook)
    if outcome.replayed:
        return jsonify({**outcome.body, "replayed": True}), 200
    return jsonify(outcome.body), outcome.status
