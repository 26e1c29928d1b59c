"""Agents and their versions: ``/v1/agents``.

A spec is sent as YAML (``application/yaml``, ``text/yaml``) or as JSON (``application/json``,
``{"agent": {...}}``), the document of ``shared.domain.spec``. Creating an agent stores its spec
as version 1; ``PUT`` stores the next version. Versions are immutable. Every change also sets up
the agent's trigger (:mod:`shared.pipeline.agents`), and every answer about one agent is
``{"agent", "version", "trigger"}``: ``trigger`` says how runs start (a webhook's ``url``, a
cron's ``next_run_at``, ...). A new webhook trigger's ``signing_secret`` is in the response that
made it, and never again.

``POST /v1/agents/{id}/deactivate`` and ``/activate`` switch the agent off and on (its Scheduler
job, webhook URL and event subscription follow); ``POST /v1/agents/{id}/trigger/rotate-secret``
with ``{"grace_period_s": 86400, "secret": null}`` gives a webhook trigger a new secret (or the
sender's own), the old one still valid for the grace period.
"""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, Response, jsonify, request, url_for
from pydantic import Field
from werkzeug.exceptions import UnsupportedMediaType

from cloudrun.api.context import caller_org_id, dependencies
from cloudrun.api.wire import json_object, page_args, parse_body
from shared.domain.base import Model
from shared.domain.spec import AgentSpec, load_agent_spec
from shared.pipeline import agents as use_cases
from shared.pipeline.agents import AgentView

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


class RotateSecretRequest(Model):
    """Body of ``POST /v1/agents/{id}/trigger/rotate-secret``.

    Attributes:
        grace_period_s: Seconds the replaced secrets keep verifying, 0 to seven days.
        secret: The sender's own signing secret (Stripe and Slack make theirs), or None to have
            one generated.
    """

    schema_version: Literal[1] = 1
    grace_period_s: int = Field(default=86_400, ge=0, le=604_800)
    secret: str | None = None


def _agent_document(view: AgentView) -> dict[str, object]:
    trigger: dict[str, Any] = view.trigger.model_dump(mode="json", exclude_none=True)
    if view.trigger.path:
        base = dependencies().settings.api_url or request.host_url
        trigger["url"] = base.rstrip("/") + view.trigger.path
    return {"agent": view.agent, "version": view.version, "trigger": trigger}


@bp.post("")
def create_agent() -> tuple[dict[str, object], int, dict[str, str]]:
    """Create an agent from a spec: 201 with ``{"agent", "version", "trigger"}`` and a
    ``Location``."""
    view = use_cases.create_agent(dependencies(), caller_org_id(), _spec_from_body())
    location = url_for(".get_agent", agent_id=view.agent.agent_id)
    return _agent_document(view), 201, {"Location": location}


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
    """The agent, its latest version and its trigger: ``{"agent", "version", "trigger"}``."""
    return _agent_document(use_cases.get_agent(dependencies(), caller_org_id(), agent_id))


@bp.put("/<agent_id>")
def update_agent(agent_id: str) -> dict[str, object]:
    """Store a new version of the agent's spec: 200 with ``{"agent", "version", "trigger"}``.

    The spec's name must stay the agent's name (422 ``ValidationError`` otherwise).
    """
    spec = _spec_from_body()
    return _agent_document(use_cases.update_agent(dependencies(), caller_org_id(), agent_id, spec))


@bp.post("/<agent_id>/deactivate")
def deactivate_agent(agent_id: str) -> dict[str, object]:
    """Deactivate the agent: it starts no runs; its Scheduler job is deleted, its webhook URL
    answers 404, its event subscription ends. 200 with ``{"agent", "version", "trigger"}``."""
    deps, org_id = dependencies(), caller_org_id()
    return _agent_document(use_cases.set_agent_active(deps, org_id, agent_id, active=False))


@bp.post("/<agent_id>/activate")
def activate_agent(agent_id: str) -> dict[str, object]:
    """Activate the agent again, with its trigger as the spec says (same webhook URL and
    secret). 200 with ``{"agent", "version", "trigger"}``."""
    deps, org_id = dependencies(), caller_org_id()
    return _agent_document(use_cases.set_agent_active(deps, org_id, agent_id, active=True))


@bp.post("/<agent_id>/trigger/rotate-secret")
def rotate_secret(agent_id: str) -> dict[str, object]:
    """Give the webhook trigger a new signing secret, shown in this response only.

    409 ``not_a_webhook_trigger`` when the agent's trigger is not a webhook.
    """
    body = parse_body(RotateSecretRequest)
    view = use_cases.rotate_secret(
        dependencies(), caller_org_id(), agent_id, body.grace_period_s, body.secret
    )
    return _agent_document(view)


@bp.get("/<agent_id>/versions")
def list_versions(agent_id: str) -> Response:
    """The agent's versions, newest first: ``{"items", "next_page_token"}``."""
    page_size, page_token = page_args()
    page = dependencies().agents.list_versions(
        caller_org_id(), agent_id, page_size=page_size, page_token=page_token
    )
    return jsonify(page)
