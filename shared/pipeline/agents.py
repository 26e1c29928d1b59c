"""Creating, changing, deactivating and reading agents, with their triggers kept in step.

Every change stores the spec first (the source of truth), then syncs the trigger's resources
(:func:`shared.triggers.sync.sync_triggers`): the Cloud Scheduler job of a cron agent, the URL
and signing secret of a webhook agent, the subscription of an event agent. A sync that fails
half-way answers 503 and leaves the version stored; saving the same spec again (``PUT``) finishes
it. Specs are checked before they are stored: an event trigger must name an agent of the same
organisation whose chain of sources does not lead back (:mod:`shared.triggers.chain`).

A new agent runs version 1 in every environment; each new version moves ``dev`` to it, while
``staging`` and ``prod`` stay until promoted (:mod:`shared.pipeline.environments`).

Specs arrive as YAML (``application/yaml``, ``application/x-yaml``, ``text/yaml``) or JSON
(``application/json``, ``{"agent": {...}}``): :func:`parse_spec`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from shared.composition import Dependencies
from shared.domain.agents import Agent, AgentVersion
from shared.domain.environments import SYSTEM_ACTOR
from shared.domain.spec import AgentSpec, EventTrigger, load_agent_spec
from shared.domain.triggers import TriggerInfo
from shared.errors import PermanentError
from shared.triggers.chain import check_event_source
from shared.triggers.sync import describe_trigger, rotate_webhook_secret, sync_triggers

YAML_MEDIA_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml"})
JSON_MEDIA_TYPE = "application/json"


class UnsupportedSpecMediaTypeError(PermanentError):
    """The spec is neither YAML nor JSON (HTTP 415)."""

    http_status = 415


def parse_spec(body: bytes, media_type: str) -> AgentSpec:
    """The spec in a request body.

    Args:
        body: The body's bytes.
        media_type: Its media type without parameters (``text/yaml``, ``application/json``).

    Returns:
        The validated spec.

    Raises:
        UnsupportedSpecMediaTypeError: Code ``unsupported_media_type``: neither YAML nor JSON.
        PermanentError: Code ``invalid_json`` (HTTP 400): JSON that does not parse, or is not
            an object.
        ValidationError: Code ``invalid_spec``: YAML that does not parse, or a spec with
            problems (every one is listed).
    """
    if media_type in YAML_MEDIA_TYPES:
        return load_agent_spec(body)
    if media_type != JSON_MEDIA_TYPE and not media_type.endswith("+json"):
        raise UnsupportedSpecMediaTypeError(
            "unsupported_media_type",
            "send the spec as application/yaml, text/yaml or application/json",
        )
    try:
        document = json.loads(body or b"{}")
    except ValueError as error:
        raise PermanentError(
            "invalid_json",
            "the body is not valid JSON",
            errors=[{"field": "body", "message": str(error)}],
        ) from None
    if not isinstance(document, dict):
        raise PermanentError(
            "invalid_json",
            "the body must be a JSON object",
            errors=[{"field": "body", "message": "expected an object"}],
        )
    return load_agent_spec(document)


@dataclass(frozen=True)
class AgentView:
    """An agent, its latest version and its trigger, as the API returns them.

    Attributes:
        agent: The agent.
        version: Its latest version.
        trigger: Its trigger (with the signing secret only when one was just made).
    """

    agent: Agent
    version: AgentVersion
    trigger: TriggerInfo


def _check(deps: Dependencies, org_id: str, agent_id: str | None, spec: AgentSpec) -> None:
    if isinstance(spec.trigger, EventTrigger):
        check_event_source(deps, org_id, agent_id, spec.trigger)


def create_agent(
    deps: Dependencies, org_id: str, spec: AgentSpec, *, actor: str = SYSTEM_ACTOR
) -> AgentView:
    """Create an agent with ``spec`` as version 1 in every environment and set up its trigger.

    ``actor`` (``api_key:<key_id>``, ``user:<uid>``) is recorded on the environments.

    Raises:
        ValidationError: Codes ``unknown_source_agent``, ``trigger_loop``, ``invalid_schedule``.
        ConflictError: Code ``agent_name_taken``.
        TransientError: A store, the Scheduler or the secret service is unavailable.
    """
    _check(deps, org_id, None, spec)
    agent, version = deps.agents.create_agent(org_id, spec, actor=actor)
    return AgentView(agent, version, sync_triggers(deps, agent, spec, previous=None))


def update_agent(
    deps: Dependencies, org_id: str, agent_id: str, spec: AgentSpec, *, actor: str = SYSTEM_ACTOR
) -> AgentView:
    """Store ``spec`` as the agent's next version, move ``dev`` and its trigger to it.

    ``staging`` and ``prod`` keep their versions until promoted.

    Raises:
        NotFoundError: No such agent in the organisation.
        ValidationError: Codes ``agent_name_mismatch``, ``unknown_source_agent``,
            ``trigger_loop``, ``invalid_schedule``.
        TransientError: A store, the Scheduler or the secret service is unavailable.
    """
    before = deps.agents.get_agent(org_id, agent_id)  # 404 before any other check
    previous = deps.agents.get_version(org_id, agent_id, before.latest_version).spec
    _check(deps, org_id, agent_id, spec)
    version = deps.agents.add_version(org_id, agent_id, spec, actor=actor)
    agent = deps.agents.get_agent(org_id, agent_id)
    return AgentView(agent, version, sync_triggers(deps, agent, spec, previous))


def set_agent_active(deps: Dependencies, org_id: str, agent_id: str, active: bool) -> AgentView:
    """Deactivate (or reactivate) an agent: its job, URL and subscription follow.

    Raises:
        NotFoundError: No such agent in the organisation.
        TransientError: A store, the Scheduler or the secret service is unavailable.
    """
    agent = deps.agents.set_active(org_id, agent_id, active)
    version = deps.agents.get_version(org_id, agent_id, agent.latest_version)
    return AgentView(agent, version, sync_triggers(deps, agent, version.spec, version.spec))


def get_agent(deps: Dependencies, org_id: str, agent_id: str) -> AgentView:
    """The agent, its latest version and its trigger.

    Raises:
        NotFoundError: No such agent in the organisation.
        TransientError: A store is unavailable.
    """
    agent = deps.agents.get_agent(org_id, agent_id)
    version = deps.agents.get_version(org_id, agent_id, agent.latest_version)
    return AgentView(agent, version, describe_trigger(deps, agent, version.spec))


def rotate_secret(
    deps: Dependencies,
    org_id: str,
    agent_id: str,
    grace_period_s: int,
    secret: str | None = None,
) -> AgentView:
    """Rotate the signing secret of the agent's webhook trigger.

    Args:
        deps: Dependencies.
        org_id: The caller's organisation.
        agent_id: The agent.
        grace_period_s: Seconds the replaced secrets keep verifying (0 to 604800).
        secret: The sender's own secret, or None to generate one.

    Returns:
        The agent with its trigger, whose ``signing_secret`` is shown this once.

    Raises:
        NotFoundError: No such agent in the organisation.
        ConflictError: Code ``not_a_webhook_trigger``.
        ValidationError: Codes ``invalid_grace_period``, ``invalid_secret``.
        TransientError: A store or the secret service is unavailable.
    """
    view = get_agent(deps, org_id, agent_id)
    grace = timedelta(seconds=grace_period_s)
    trigger = rotate_webhook_secret(deps, view.agent, view.version.spec, grace, secret)
    return AgentView(view.agent, view.version, trigger)
