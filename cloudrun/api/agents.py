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

Environments (:mod:`shared.pipeline.environments`): ``dev``, ``staging`` and ``prod`` each run
one version. A new agent runs version 1 in all three; each ``PUT`` moves ``dev`` to the new
version; ``staging`` and ``prod`` move only by ``POST /v1/agents/{id}/environments/{env}/promote``
(``{"version": 3}`` or ``{"from_environment": "staging"}``) and ``/rollback`` (``{"version": 2}``,
an earlier version). ``GET /v1/agents/{id}/environments`` lists them.
"""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, Response, g, jsonify, request, url_for
from pydantic import Field

from cloudrun.api.audit import caller_actor, describe_change
from cloudrun.api.context import caller_org_id, dependencies
from cloudrun.api.wire import page_args, parse_body
from shared.domain.agents import Agent
from shared.domain.base import Model
from shared.domain.environments import Environment, EnvironmentPointer, environment_named
from shared.domain.spec import AgentSpec
from shared.pipeline import agents as use_cases
from shared.pipeline import environments
from shared.pipeline.agents import AgentView
from shared.pipeline.environments import EnvironmentMove

bp = Blueprint("agents", __name__, url_prefix="/agents")


def _spec_from_body() -> AgentSpec:
    """The spec in the request body (:func:`shared.pipeline.agents.parse_spec`).

    Raises:
        UnsupportedSpecMediaTypeError: Neither YAML nor JSON (HTTP 415).
        ValidationError: Code ``invalid_spec``, listing every problem of the spec.
    """
    return use_cases.parse_spec(request.get_data(), request.mimetype)


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


class PromoteRequest(Model):
    """Body of ``POST /v1/agents/{id}/environments/{environment}/promote``: exactly one field.

    Attributes:
        version: The version the environment is to run; not earlier than the one it runs.
        from_environment: Run what this other environment runs (``staging`` to promote
            staging's version to ``prod``).
    """

    schema_version: Literal[1] = 1
    version: int | None = Field(default=None, ge=1)
    from_environment: Environment | None = None


class RollbackRequest(Model):
    """Body of ``POST /v1/agents/{id}/environments/{environment}/rollback``.

    Attributes:
        version: An earlier version than the one the environment runs.
    """

    schema_version: Literal[1] = 1
    version: int = Field(ge=1)


class EnvironmentList(Model):
    """An agent's environments.

    Attributes:
        agent_id: The agent.
        environments: ``dev``, ``staging`` and ``prod``, each with ``version``, ``updated_at``
            and ``updated_by``.
    """

    agent_id: str
    environments: dict[Environment, EnvironmentPointer]


class EnvironmentChange(Model):
    """An environment after a promotion or rollback.

    Attributes:
        agent: The agent, with its ``environments``.
        environment: The environment moved.
        from_version: The version it ran before.
        to_version: The version it runs now (the same when it ran it already).
    """

    agent: Agent
    environment: Environment
    from_version: int
    to_version: int


def _changed(move: EnvironmentMove) -> EnvironmentChange:
    if move.from_version == move.to_version:
        g.audit_skip = True  # nothing changed
    describe_change(
        environment=move.environment, from_version=move.from_version, to_version=move.to_version
    )
    return EnvironmentChange(
        agent=move.agent,
        environment=move.environment,
        from_version=move.from_version,
        to_version=move.to_version,
    )


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
    spec = _spec_from_body()
    view = use_cases.create_agent(dependencies(), caller_org_id(), spec, actor=caller_actor())
    describe_change(resource_id=view.agent.agent_id, name=view.agent.name, version=1)
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
    view = use_cases.update_agent(
        dependencies(), caller_org_id(), agent_id, spec, actor=caller_actor()
    )
    describe_change(version=view.version.version, environment="dev")
    return _agent_document(view)


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
    describe_change(grace_period_s=body.grace_period_s, sender_secret=body.secret is not None)
    return _agent_document(view)


@bp.get("/<agent_id>/versions")
def list_versions(agent_id: str) -> Response:
    """The agent's versions, newest first: ``{"items", "next_page_token"}``."""
    page_size, page_token = page_args()
    page = dependencies().agents.list_versions(
        caller_org_id(), agent_id, page_size=page_size, page_token=page_token
    )
    return jsonify(page)


@bp.get("/<agent_id>/environments")
def list_environments(agent_id: str) -> Response:
    """The agent's environments: ``{"agent_id", "environments": {name: {"version",
    "updated_at", "updated_by"}}}``."""
    found = environments.list_environments(dependencies(), caller_org_id(), agent_id)
    return jsonify(EnvironmentList(agent_id=agent_id, environments=found))


@bp.post("/<agent_id>/environments/<environment>/promote")
def promote_environment(agent_id: str, environment: str) -> Response:
    """Promote the environment to a version (or another environment's): 200 with the change.

    404 ``environment_not_found`` or ``agent_version_not_found``; 409
    ``promotion_to_earlier_version`` (roll back instead) or ``environment_changed``.
    """
    target = environment_named(environment)
    body = parse_body(PromoteRequest)
    move = environments.promote(
        dependencies(),
        caller_org_id(),
        agent_id,
        target,
        actor=caller_actor(),
        version=body.version,
        from_environment=body.from_environment,
    )
    return jsonify(_changed(move))


@bp.post("/<agent_id>/environments/<environment>/rollback")
def rollback_environment(agent_id: str, environment: str) -> Response:
    """Roll the environment back to an earlier version: 200 with the change.

    404 ``environment_not_found`` or ``agent_version_not_found``; 409 ``rollback_not_earlier``
    or ``environment_changed``.
    """
    target = environment_named(environment)
    body = parse_body(RollbackRequest)
    move = environments.rollback(
        dependencies(), caller_org_id(), agent_id, target, body.version, actor=caller_actor()
    )
    return jsonify(_changed(move))
