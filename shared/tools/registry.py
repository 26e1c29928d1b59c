"""The tools this build of Switchyard knows, and their model-facing declarations."""

from __future__ import annotations

from shared import resources
from shared.domain.base import Model
from shared.domain.model_io import ToolDeclaration
from shared.domain.spec import AgentSpec
from shared.errors import PermanentError
from shared.tools import gcs_write, http_fetch, http_request, slack_post, user_http
from shared.tools.base import Tool

TOOLS: dict[str, Tool] = {
    "http_fetch": Tool(
        name="http_fetch",
        description=http_fetch.DESCRIPTION,
        parameters=http_fetch.PARAMETERS,
        run=http_fetch.http_fetch,
    ),
    "http_request": Tool(
        name="http_request",
        description=http_request.DESCRIPTION,
        parameters=http_request.PARAMETERS,
        run=http_request.http_request,
    ),
    "gcs_write": Tool(
        name="gcs_write",
        description=gcs_write.DESCRIPTION,
        parameters=gcs_write.PARAMETERS,
        run=gcs_write.gcs_write,
    ),
    "slack_post": Tool(
        name="slack_post",
        description=slack_post.DESCRIPTION,
        parameters=slack_post.PARAMETERS,
        run=slack_post.slack_post,
    ),
}


# The runner of every user-defined HTTP tool; its queue is ``tool-user-http``.
USER_HTTP = Tool(name="user_http", description="", parameters={}, run=user_http.user_http)


def declarations(spec: AgentSpec) -> tuple[ToolDeclaration, ...]:
    """The declarations of the tools ``spec`` grants, in spec order, then its HTTP tools."""
    built_in = tuple(
        ToolDeclaration(
            name=t.name, description=TOOLS[t.name].description, parameters=TOOLS[t.name].parameters
        )
        for t in spec.tools
        if t.name in TOOLS
    )
    return built_in + tuple(
        ToolDeclaration(name=t.name, description=t.description, parameters=t.input_schema)
        for t in spec.http_tools
    )


def is_granted(spec: AgentSpec, tool_name: str) -> bool:
    """Whether ``spec`` gives the model the tool called ``tool_name``."""
    if tool_name in TOOLS:
        return spec.tool(tool_name) is not None
    return spec.http_tool(tool_name) is not None


def tool_of(tool_name: str) -> Tool:
    """The registry entry that runs ``tool_name`` (a built-in, or the user HTTP runner)."""
    return TOOLS.get(tool_name, USER_HTTP)


def tool_config(spec: AgentSpec, tool_name: str) -> Model:
    """The configuration ``tool_of(tool_name)`` runs with (an HTTP tool's own spec).

    Raises:
        PermanentError: Code ``tool_not_granted``.
    """
    if tool_name in TOOLS and (built_in := spec.tool(tool_name)) is not None:
        return built_in.parsed_config()
    if tool_name not in TOOLS and (http_tool := spec.http_tool(tool_name)) is not None:
        return http_tool
    raise PermanentError("tool_not_granted", f"tool {tool_name!r} is not granted to this agent")


def queue_of(tool_name: str) -> str:
    """The Cloud Tasks queue that rate-limits and retries ``tool_name``'s calls."""
    if tool_name not in TOOLS:
        return resources.tool_queue_name(USER_HTTP.name)
    return resources.tool_queue_name(tool_name)
