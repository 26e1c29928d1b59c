"""The built-in ``slack_post`` tool: Slack ``chat.postMessage`` to the spec's one channel.

The channel is the tool's configuration, not the model's choice, and the spec must also hold
the permission ``slack: ["write:channels:<channel>"]``. The bot token is a credential the proxy
injects (``Authorization: Bearer``); Slack's base URL is ``SWITCHYARD_SLACK_API_BASE_URL``
(https://slack.com/api unless tests point it at a stand-in). Slack answers 200 with
``{"ok": false, "error": ...}`` for most failures (https://api.slack.com/web#evaluating_responses).
"""

from __future__ import annotations

import json
from typing import Any

from shared.domain.spec import SlackPostConfig
from shared.errors import PermanentError, PolicyViolationError, TransientError
from shared.tools.base import ToolContext

DESCRIPTION = "Post a message to the agent's Slack channel. Returns the message timestamp."
PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"text": {"type": "string", "description": "Message text (Slack mrkdwn)"}},
    "required": ["text"],
}
MAX_TEXT_CHARS = 40_000  # Slack truncates longer messages


def slack_post(context: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """Post ``args["text"]`` to the configured channel.

    Args:
        context: The call's context; ``context.config`` is a :class:`SlackPostConfig`.
        args: ``{"text": str}``.

    Returns:
        ``{"ok": True, "channel": str, "ts": str}``.

    Raises:
        PermanentError: Codes ``invalid_tool_arguments``, ``slack_error``.
        PolicyViolationError: Codes ``permission_missing`` and the proxy's.
        TransientError: Codes ``tool_target_unavailable`` (also Slack's ``ratelimited``); a
            RateLimitedError (``tool_target_rate_limited``) on a 429 whose ``Retry-After`` names
            the delay (https://api.slack.com/apis/rate-limits).
    """
    config = context.config
    assert isinstance(config, SlackPostConfig)
    text = args.get("text")
    if not isinstance(text, str) or not text or len(text) > MAX_TEXT_CHARS:
        raise PermanentError(
            "invalid_tool_arguments", f"slack_post needs 'text' of 1 to {MAX_TEXT_CHARS} chars"
        )
    needed = f"write:channels:{config.channel}"
    if needed not in context.permissions.get("slack", ()):
        raise PolicyViolationError("permission_missing", f"the spec does not grant {needed}")
    url = context.settings.slack_api_base_url.rstrip("/") + "/chat.postMessage"
    body = json.dumps({"channel": config.channel, "text": text}).encode()
    fetched = context.proxy.send(
        "POST", url, credential=config.credential, content=body, timeout_s=config.timeout_s,
        max_bytes=64_000, headers={"Content-Type": "application/json; charset=utf-8"},
    )  # fmt: skip
    fetched.raise_for_retryable("Slack")
    try:
        answer = json.loads(fetched.body)
    except ValueError:
        raise PermanentError("slack_error", f"Slack answered {fetched.status}, not JSON") from None
    if answer.get("ok") is not True:
        error = str(answer.get("error", f"status {fetched.status}"))
        if error == "ratelimited":
            raise TransientError("tool_target_unavailable", "Slack rate limited the post")
        raise PermanentError("slack_error", f"Slack refused the post: {error}")
    return {"ok": True, "channel": str(answer.get("channel", "")), "ts": str(answer.get("ts", ""))}
