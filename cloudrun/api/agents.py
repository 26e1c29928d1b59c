"""Agents and their versions: ``/v1/agents``.

A spec is sent as YAML (``application/yaml``, ``text/yaml``) or as JSON (``application/json``,
``{"agent": {...}}``), the document of ``shared.domain.spec``. Creating an agent stores its spec
as version 1; ``PUT`` stores the next version. Versions are immutable.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for
from werkzeug.exceptions import UnsupportedMediaType

from cloudrun.api.context import caller_org_id, dependencies
from cloudrun.api.wire import json_object, page_args
from shared.domain.agents import Agent, AgentVersion
from shared.domain.spec import AgentSpec, load_agent_spec

bp = Blueprint("agents", __name__, url_prefix="/agents")

YAML_MEDIA_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml"})


def _spec_from_body() -> AgentSpec:
    """The spec in the request body.

    Raises:
        UnsupportedMediaType: Neither YAML nor JSON (HTTP 415).
        InvalidRequestError: Code ``invalid_json``.
        ValidationError: Code ``invalid_spec``, listing every problem of the spec.
    """
    if request.mimetype in YAML_MEDIA_TYPES:
        return load_agent_spec(request.get_data())
    if request.is_json:
        return load_agent_spec(json_object())
    raise UnsupportedMediaType("send the spec as application/yaml, text/yaml or application/json")


def _agent_document(agent: Agent, version: AgentVersion) -> dict[str, object]:
    return {"agent": agent, "version": version}


@bp.post("")
def create_agent() -> tuple[dict[str, object], int, dict[str, str]]:
    """Create an agent from a spec: 201 with ``{"agent", "version"}`` and a ``Location``."""
    agent, version = dependencies().agents.create_agent(caller_org_id(), _spec_from_body())
    location = url_for(".get_agent", agent_id=agent.agent_id)
    return _agent_document(agent, version), 201, {"Location": location}


@bp.get("")
def list_agents() -> Response:
    """The organisation's agents by name: ``{"items", "next_page_token"}``."""
    page_size, page_token = page_args()
    page = dependencies().agents.list_agents(
        caller_org_id(), page_size=page_size, page_token=page_token
    )
    return jsonify(page)


@bp.get("/<agent_id>")
def get_agent(agent_id: str) -> dict[str, object]:
    """The agent and its latest version: ``{"agent", "version"}``."""
    deps, org_id = dependencies(), caller_org_id()
    agent = deps.agents.get_agent(org_id, agent_id)
    return _agent_document(agent, deps.agents.get_version(org_id, agent_id, agent.latest_version))


@bp.put("/<agent_id>")
def update_agent(agent_id: str) -> dict[str, object]:
    """Store a new version of the agent's spec: 200 with ``{"agent", "version"}``.

    The spec's name must stay the agent's name (422 ``ValidationError`` otherwise).
    """
    deps, org_id = dependencies(), caller_org_id()
    version = deps.agents.add_version(org_id, agent_id, _spec_from_body())
    return _agent_document(deps.agents.get_agent(org_id, agent_id), version)


@bp.get("/<agent_id>/versions")
def list_versions(agent_id: str) -> Response:
    """The agent's versions, newest first: ``{"items", "next_page_token"}``."""
    page_size, page_token = page_args()
    page = dependencies().agents.list_versions(
        caller_org_id(), agent_id, page_size=page_size, page_token=page_token
    )
    return jsonify(page)
