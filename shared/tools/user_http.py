"""User-defined HTTP tools (the spec's ``http_tools``): validate, fill the template, call.

The input is validated against the tool's JSON Schema (jsonschema, Draft 2020-12) before any
request. Placeholders of the URL template take the input's values, URL-encoded as one path
segment or query value; for methods with a body, the input's other properties are sent as JSON,
for GET and DELETE as query parameters.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import jsonschema

from shared.domain.http_tools import HttpToolSpec
from shared.errors import PermanentError
from shared.tools.base import ToolContext

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def user_http(context: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """Make the request the tool's spec describes with ``args``.

    Args:
        context: The call's context; ``context.config`` is the :class:`HttpToolSpec`.
        args: The model's input.

    Returns:
        ``{"status": int, "content_type": str, "body": str, "truncated": bool}``.

    Raises:
        PermanentError: Code ``invalid_tool_arguments`` (schema violation, missing placeholder).
        PolicyViolationError: The proxy's codes (grant, egress).
        TransientError: Code ``tool_target_unavailable`` (connection failure, timeout, 429 or 5xx);
            a RateLimitedError (``tool_target_rate_limited`` for a 429) when the answer names
            its delay in ``Retry-After``.
    """
    tool = context.config
    assert isinstance(tool, HttpToolSpec)
    errors = sorted(jsonschema.Draft202012Validator(tool.input_schema).iter_errors(args), key=str)
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "input"
        raise PermanentError("invalid_tool_arguments", f"{where}: {errors[0].message}")
    used = tool.placeholders()
    missing = [name for name in used if name not in args]
    if missing:
        raise PermanentError("invalid_tool_arguments", f"missing {', '.join(missing)}")
    url = tool.url.format(**{name: quote(str(args[name]), safe="") for name in used})
    rest = {k: v for k, v in args.items() if k not in used}
    headers = {"User-Agent": f"Switchyard/{tool.name}"}
    content = None
    if tool.method in BODY_METHODS:
        headers["Content-Type"] = "application/json"
        content = json.dumps(rest).encode()
    elif rest:
        url = str(httpx.URL(url).copy_merge_params({k: str(v) for k, v in rest.items()}))
    fetched = context.proxy.send(tool.method, url, credential=tool.credential, headers=headers,
                                 content=content, timeout_s=tool.timeout_s,
                                 max_bytes=tool.max_bytes)  # fmt: skip
    fetched.raise_for_retryable(f"{tool.method} {fetched.url}")
    return {
        "status": fetched.status,
        "content_type": fetched.headers.get("content-type", ""),
        "body": fetched.text(),
        "truncated": fetched.truncated,
    }
