"""The built-in ``http_fetch`` tool: GET a URL on one of the agent's allowed domains."""

from __future__ import annotations

from typing import Any

import httpx

from shared.domain.spec import HttpFetchConfig
from shared.errors import PermanentError, PolicyViolationError, TransientError
from shared.tools.base import ToolContext

DESCRIPTION = (
    "Fetch a web page or API response with HTTP GET. Only hosts on the agent's allow-list can "
    "be fetched. Returns the status code, content type and body text (possibly truncated)."
)
PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"url": {"type": "string", "description": "Absolute http(s) URL to GET"}},
    "required": ["url"],
}


def _host_allowed(host: str, allowed_domains: tuple[str, ...]) -> bool:
    host = host.rstrip(".").lower()
    return any(host == d.lower() or host.endswith("." + d.lower()) for d in allowed_domains)


def http_fetch(context: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """GET ``args["url"]`` within the tool's allow-list, size cap and time cap.

    Redirects are not followed (each hop would need the same checks); the model sees the
    status and ``location`` and may fetch that URL itself.

    Args:
        context: The call's context; ``context.config`` is an :class:`HttpFetchConfig`.
        args: ``{"url": str}``.

    Returns:
        ``{"status": int, "content_type": str, "body": str, "truncated": bool}`` plus
        ``"location"`` for redirects.

    Raises:
        PermanentError: Code ``invalid_tool_arguments``.
        PolicyViolationError: Codes ``domain_not_allowed``, ``egress_refused``.
        TransientError: Code ``tool_target_unavailable`` (connection failure, timeout, 429, 5xx).
    """
    config = context.config
    assert isinstance(config, HttpFetchConfig)
    url = args.get("url")
    if not isinstance(url, str):
        raise PermanentError("invalid_tool_arguments", "http_fetch needs a string 'url'")
    host = httpx.URL(url).host if url.startswith(("http://", "https://")) else ""
    if not _host_allowed(host, config.allowed_domains):
        raise PolicyViolationError(
            "domain_not_allowed", f"{host or url!r} is not in this agent's allowed_domains"
        )
    context.check_destination(url)
    headers = {"Idempotency-Key": context.idempotency_key, "User-Agent": "Switchyard/http_fetch"}
    try:
        with context.http.stream("GET", url, headers=headers, timeout=config.timeout_s) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > config.max_bytes:
                    break
    except httpx.HTTPError as error:
        raise TransientError("tool_target_unavailable", f"GET {host} failed: {error}") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(
            "tool_target_unavailable", f"GET {host} answered {response.status_code}"
        )
    result: dict[str, Any] = {
        "status": response.status_code,
        "content_type": response.headers.get("content-type", ""),
        "body": bytes(body[: config.max_bytes]).decode(response.encoding or "utf-8", "replace"),
        "truncated": len(body) > config.max_bytes,
    }
    if response.is_redirect:
        result["location"] = response.headers.get("location", "")
    return result
