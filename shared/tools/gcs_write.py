"""The built-in ``gcs_write`` tool: an artifact in the agent's prefix of the artifacts bucket.

The object is ``<org_id>/<agent_id>/artifacts/<name>`` in the ``switchyard-artifacts`` bucket;
the model chooses only the relative name, and the proxy refuses names that could leave the
prefix. Writing the same name again overwrites it, so a retried call is harmless.
"""

from __future__ import annotations

from typing import Any

from shared.domain.spec import GcsWriteConfig
from shared.errors import PermanentError, PolicyViolationError
from shared.tools.base import ToolContext

DESCRIPTION = (
    "Save a text artifact (a report, CSV or JSON) in the agent's storage. Returns its gs:// URI."
)
PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "Relative name, e.g. reports/2025-01-15.md"},
        "content": {"type": "string", "description": "The text to store"},
        "content_type": {"type": "string", "description": "MIME type, text/plain by default"},
    },
    "required": ["name", "content"],
}


def gcs_write(context: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """Store ``args["content"]`` as artifact ``args["name"]``.

    Args:
        context: The call's context; ``context.config`` is a :class:`GcsWriteConfig`.
        args: ``{"name": str, "content": str, "content_type": str?}``.

    Returns:
        ``{"uri": str, "bytes": int}``.

    Raises:
        PermanentError: Code ``invalid_tool_arguments``.
        PolicyViolationError: Codes ``artifact_too_large``, ``content_type_not_allowed``,
            ``artifact_name_refused``.
        TransientError: Storage is unavailable.
    """
    config = context.config
    assert isinstance(config, GcsWriteConfig)
    name, content = args.get("name"), args.get("content")
    content_type = args.get("content_type", "text/plain")
    if not (isinstance(name, str) and isinstance(content, str) and isinstance(content_type, str)):
        raise PermanentError("invalid_tool_arguments", "gcs_write needs string 'name', 'content'")
    if content_type not in config.content_types:
        raise PolicyViolationError(
            "content_type_not_allowed", f"{content_type!r} is not in this tool's content_types"
        )
    data = content.encode()
    if len(data) > config.max_bytes:
        raise PolicyViolationError(
            "artifact_too_large", f"{len(data)} bytes is over max_bytes={config.max_bytes}"
        )
    uri = context.proxy.write_artifact(name, data, content_type)
    return {"uri": uri, "bytes": len(data)}
