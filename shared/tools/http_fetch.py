"""The built-in ``http_fetch`` tool: GET a URL on one of the agent's allowed domains."""

from __future__ import annotations

from typing import Any

import httpx

from shared.domain.spec import HttpFetchConfig
from shared.errors import PermanentError, PolicyViolationError
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

    Redirects are followed (at most five) and every hop must be on the allow-list and pass
    the egress check of :mod:`shared.tools.safe_http`.

    Args:
        context: The call's context; ``context.config`` is an :class:`HttpFetchConfig`.
        args: ``{"url": str}``.

    Returns:
        ``{"status": int, "content_type": str, "body": str, "truncated": bool}``.

    Raises:
        PermanentError: Codes ``invalid_tool_arguments``, ``too_many_redirects``.
        PolicyViolationError: Codes ``domain_not_allowed``, ``egress_refused``.
        TransientError: Code ``tool_target_unavailable`` (connection failure, timeout, 429 or 5xx);
            a RateLimitedError (``tool_target_rate_limited`` for a 429) when the answer names
            its delay in ``Retry-After``.
    """
    config = context.config
    assert isinstance(config, HttpFetchConfig)
    url = args.get("url")
    if not isinstance(url, str):
        raise PermanentError("invalid_tool_arguments", "http_fetch needs a string 'url'")
    headers = {"User-Agent": "Switchyard/http_fetch"}

    def check_hop(hop: httpx.URL) -> None:
        if not _host_allowed(hop.host, config.allowed_domains):
            raise PolicyViolationError(
                "domain_not_allowed", f"{hop.host!r} is not in this agent's allowed_domains"
            )

    fetched = context.proxy.send("GET", url, headers=headers, timeout_s=config.timeout_s,
                                 max_bytes=config.max_bytes, check_hop=check_hop)  # fmt: skip
    fetched.raise_for_retryable(f"GET {fetched.url}")
    return {
        "status": fetched.status,
        "content_type": fetched.headers.get("content-type", ""),
        "body": fetched.text(),
        "truncated": fetched.truncated,
    }
