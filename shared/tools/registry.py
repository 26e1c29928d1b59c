"""The tools this build of Switchyard knows, and their model-facing declarations."""

from __future__ import annotations

from shared import resources
from shared.domain.model_io import ToolDeclaration
from shared.domain.spec import AgentSpec
from shared.tools import http_fetch
from shared.tools.base import Tool

TOOLS: dict[str, Tool] = {
    "http_fetch": Tool(
        name="http_fetch",
        description=http_fetch.DESCRIPTION,
        parameters=http_fetch.PARAMETERS,
        run=http_fetch.http_fetch,
    ),
}


def declarations(spec: AgentSpec) -> tuple[ToolDeclaration, ...]:
    """The declarations of the tools ``spec`` grants, in spec order."""
    return tuple(
        ToolDeclaration(
            name=t.name, description=TOOLS[t.name].description, parameters=TOOLS[t.name].parameters
        )
        for t in spec.tools
        if t.name in TOOLS
    )


def queue_of(tool_name: str) -> str:
    """The Cloud Tasks queue that rate-limits and retries ``tool_name``'s calls."""
    return resources.tool_queue_name(tool_name)
