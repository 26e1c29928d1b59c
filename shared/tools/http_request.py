"""The built-in ``http_request`` tool: any method, with a credential the agent was granted.

The model names a credential by its id (one of the tool's configured ``credentials``); the
proxy injects the value and refuses any method, host or path outside the credential's grant to
the agent. The model never sees the value, and neither does this module.
"""

from __future__ import annotations

import json
from typing import Any

from shared.domain.spec import HttpRequestConfig
from shared.errors import PermanentError, PolicyViolationError
from shared.tools.base import ToolContext

DESCRIPTION = (
    "Send an HTTP request (any method) to an API with one of the agent's credentials. The "
    "credential is named by its id and injected by the platform; only the hosts, methods and "
    "paths it was granted for can be reached. Returns the status, content type and body."
)
PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "method": {"type": "string", "description": "GET, POST, PUT, PATCH or DELETE"},
        "url": {"type": "string", "description": "Absolute https URL"},
        "credential": {"type": "string", "description": "Id of the credential to use"},
        "json": {"type": "object", "description": "JSON body (optional)"},
    },
    "required": ["method", "url", "credential"],
}
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})


def http_request(context: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """Send ``args["method"] args["url"]`` with credential ``args["credential"]``.

    Args:
        context: The call's context; ``context.config`` is an :class:`HttpRequestConfig`.
        args: ``{"method": str, "url": str, "credential": str, "json": object?}``.

    Returns:
        ``{"status": int, "content_type": str, "body": str, "truncated": bool}``.

    Raises:
        PermanentError: Code ``invalid_tool_arguments``.
        PolicyViolationError: Codes ``credential_not_granted``, ``credential_revoked``,
            ``egress_refused``.
        TransientError: Code ``tool_target_unavailable`` (connection failure, timeout, 429 or 5xx);
            a RateLimitedError (``tool_target_rate_limited`` for a 429) when the answer names
            its delay in ``Retry-After``.
    """
    config = context.config
    assert isinstance(config, HttpRequestConfig)
    method, url, credential = args.get("method"), args.get("url"), args.get("credential")
    if not (isinstance(method, str) and isinstance(url, str) and isinstance(credential, str)):
        raise PermanentError(
            "invalid_tool_arguments", "http_request needs string 'method', 'url', 'credential'"
        )
    if method.upper() not in METHODS:
        raise PermanentError("invalid_tool_arguments", f"method {method!r} is not supported")
    if credential not in config.credentials:
        raise PolicyViolationError(
            "credential_not_granted", f"credential {credential} is not configured for this tool"
        )
    body = args.get("json")
    headers = {"User-Agent": "Switchyard/http_request"}
    content = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        content = json.dumps(body).encode()
    fetched = context.proxy.send(method, url, credential=credential, headers=headers,
                                 content=content, timeout_s=config.timeout_s,
                                 max_bytes=config.max_bytes)  # fmt: skip
    fetched.raise_for_retryable(f"{method} {fetched.url}")
    return {
        "status": fetched.status,
        "content_type": fetched.headers.get("content-type", ""),
        "body": fetched.text(),
        "truncated": fetched.truncated,
    }
