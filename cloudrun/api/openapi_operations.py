"""What each route of the API does, declared once: the input of :mod:`cloudrun.api.openapi`.

Keyed by Flask endpoint. ``tests/unit/test_api_openapi.py`` fails for any route of the app
without an entry here, so a new route is documented before it ships.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from cloudrun.api.agents import (
    EnvironmentChange,
    EnvironmentList,
    PromoteRequest,
    RollbackRequest,
    RotateSecretRequest,
)
from cloudrun.api.credentials import CredentialDocument
from cloudrun.api.evals import ReviewRequest
from cloudrun.api.members import Me
from cloudrun.api.runs import MAX_WAIT_S, RunRequest
from cloudrun.api.wire import MAX_PAGE_SIZE
from shared.auth.keys import ApiKeyView, CreatedApiKey, NewApiKey, RotateApiKey
from shared.auth.members import NewMember
from shared.domain.agents import Agent, AgentVersion, Page
from shared.domain.audit_events import AuditEvent
from shared.domain.base import Model
from shared.domain.credentials import Credential, Grant
from shared.domain.members import Membership
from shared.domain.runs import Run, RunStatus
from shared.domain.triggers import TriggerInfo
from shared.proxy.vault import NewCredential

Schema = type[BaseModel] | Mapping[str, Any]


class AgentTrigger(TriggerInfo):
    """An agent's trigger as the API shows it.

    Attributes:
        url: Webhook: the full URL senders post to.
    """

    url: str | None = None


class AgentDocument(Model):
    """An agent, its latest version and its trigger.

    Attributes:
        agent: The agent.
        version: Its latest version (with the spec).
        trigger: How its runs start.
    """

    agent: Agent
    version: AgentVersion
    trigger: AgentTrigger


class RunTrace(Model):
    """A run's model steps and tool calls, with their stored bodies.

    Attributes:
        run_id: The run.
        status: Its status now.
        steps: Model steps in order, each with ``trace``: ``{"uri", "content"}``, ``{"uri",
            "error"}`` or null.
        tool_calls: Tool calls by step and call index, each with ``trace`` as above.
    """

    run_id: str
    status: RunStatus
    steps: list[dict[str, Any]]
    tool_calls: list[dict[str, Any]]


class RunEvals(Model):
    """A run's eval verdicts.

    Attributes:
        run_id: The run.
        status: Its status now.
        evals: Verdicts, oldest gate first, each with ``gate``, ``at`` and per-assertion detail.
    """

    run_id: str
    status: RunStatus
    evals: list[dict[str, Any]]


class EvalStats(Model):
    """An agent's pass rates per eval over a window, overall and in buckets.

    Attributes:
        agent_id: The agent.
        window: ``1h``, ``24h`` or ``7d``.
        since: Start of the window (UTC).
        until: End of the window (UTC).
    """

    model_config = ConfigDict(frozen=True, extra="allow")
    agent_id: str
    window: str
    since: datetime
    until: datetime


class Health(Model):
    """The liveness answer.

    Attributes:
        status: Always ``ok``.
    """

    status: Literal["ok"]


class HookAccepted(Model):
    """A webhook that started a run (202), or a replay of one (200, ``replayed``).

    Attributes:
        run_id: The run started (or started by the first delivery).
        status: That run's status.
        replayed: True when the delivery was seen before.
    """

    model_config = ConfigDict(frozen=True, extra="allow")
    run_id: str | None = None
    status: str | None = None
    replayed: bool | None = None


SPEC_BODY: Mapping[str, Any] = {"$ref": "AgentSpecDocument"}  # resolved by the builder
EVENT_STREAM: Mapping[str, Any] = {
    "type": "string",
    "description": "Server-Sent Events: `id: <seq>`, `event: <type>`, `data: <RunEvent JSON>`",
}


def query(name: str, schema: Mapping[str, Any], description: str) -> dict[str, Any]:
    """An optional query parameter."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


PAGING = (
    query(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 50},
        "Items per page.",
    ),
    query("page_token", {"type": "string"}, "The previous page's `next_page_token`."),
)


@dataclass(frozen=True)
class Operation:
    """One route's documentation.

    Attributes:
        summary: One line.
        description: More (Markdown).
        responses: Success status -> body schema (a model, a JSON schema, or None for no body).
        request: The JSON body's model, ``SPEC_BODY`` for an agent spec, or None.
        body_required: Whether a body must be sent (an empty body is ``{}`` otherwise).
        parameters: Query and header parameters (path parameters come from the route).
        errors: Statuses of problem answers besides those every route of its kind has.
        media_type: The success body's media type.
        public: True when no API key is needed.
    """

    summary: str
    description: str = ""
    responses: Mapping[int, Schema | None] = field(default_factory=dict)
    request: Schema | None = None
    body_required: bool = False
    parameters: tuple[Mapping[str, Any], ...] = ()
    errors: tuple[int, ...] = ()
    media_type: str = "application/json"
    public: bool = False


OPERATIONS: Mapping[str, Operation] = {
    "v1.agents.create_agent": Operation(
        "Create an agent",
        "Stores the spec as version 1, which `dev`, `staging` and `prod` all run, and sets up "
        "its trigger. A new webhook trigger's `signing_secret` is shown in this response only.",
        {201: AgentDocument},
        SPEC_BODY,
        True,
        errors=(409,),
    ),
    "v1.agents.list_agents": Operation(
        "List agents", "The organisation's agents by name.", {200: Page[Agent]}, parameters=PAGING
    ),
    "v1.agents.get_agent": Operation(
        "Get an agent", "The agent, its latest version and its trigger.", {200: AgentDocument}
    ),
    "v1.agents.update_agent": Operation(
        "Store a new version",
        "The spec's name must stay the agent's name. The new version goes to `dev`; `staging` "
        "and `prod` keep theirs until promoted.",
        {200: AgentDocument},
        SPEC_BODY,
        True,
        errors=(409,),
    ),
    "v1.agents.list_versions": Operation(
        "List an agent's versions", "Newest first.", {200: Page[AgentVersion]}, parameters=PAGING
    ),
    "v1.agents.activate_agent": Operation(
        "Activate an agent",
        "Its trigger is set up again as the spec says.",
        {200: AgentDocument},
        errors=(409,),
    ),
    "v1.agents.deactivate_agent": Operation(
        "Deactivate an agent",
        "It starts no runs; its trigger is switched off.",
        {200: AgentDocument},
        errors=(409,),
    ),
    "v1.agents.rotate_secret": Operation(
        "Rotate a webhook trigger's signing secret",
        "The new secret is shown in this response only; the old one verifies for the grace period.",
        {200: AgentDocument},
        RotateSecretRequest,
        errors=(409,),
    ),
    "v1.agents.list_environments": Operation(
        "List an agent's environments",
        "`dev`, `staging` and `prod`, each with its version, `updated_at` and `updated_by`. A "
        "new agent runs version 1 in all three; each new version moves `dev`; `staging` and "
        "`prod` move only by promotion and rollback.",
        {200: EnvironmentList},
    ),
    "v1.agents.promote_environment": Operation(
        "Promote an environment",
        "Send `version`, or `from_environment` to run what another environment runs. The "
        "version must not be earlier than the one the environment runs (409 "
        "`promotion_to_earlier_version`: roll back instead); 409 `environment_changed` when it "
        "moved meanwhile. Environments: `dev`, `staging`, `prod` (404 `environment_not_found`).",
        {200: EnvironmentChange},
        PromoteRequest,
        True,
        errors=(409,),
    ),
    "v1.agents.rollback_environment": Operation(
        "Roll an environment back",
        "To any earlier version of the agent, in one call (409 `rollback_not_earlier` "
        "otherwise; 404 `agent_version_not_found` for a version the agent does not have).",
        {200: EnvironmentChange},
        RollbackRequest,
        True,
        errors=(409,),
    ),
    "v1.runs.trigger_run": Operation(
        "Start a run",
        "Runs the version the requested `environment` (`prod` by default) runs now; the run "
        "records both. Honours `Idempotency-Key` (24 h): a "
        "retry gets the first answer with `Idempotent-Replayed: true`.",
        {202: Run},
        RunRequest,
        parameters=(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            },
        ),
        errors=(409,),
    ),
    "v1.runs.list_runs": Operation(
        "List runs",
        "Newest first, optionally by agent and status.",
        {200: Page[Run]},
        parameters=(
            *PAGING,
            query("agent_id", {"type": "string"}, "Only this agent's runs."),
            query(
                "status",
                {"type": "string", "enum": [s.value for s in RunStatus]},
                "Only runs in this status.",
            ),
        ),
    ),
    "v1.runs.get_run": Operation(
        "Get a run",
        "With `wait`, answers once the run has ended or the wait has passed.",
        {200: Run},
        parameters=(
            query(
                "wait",
                {"type": "number", "minimum": 0, "maximum": MAX_WAIT_S},
                "Seconds to wait for the run to end.",
            ),
        ),
    ),
    "v1.runs.cancel": Operation(
        "Cancel a run",
        "Honoured between steps; idempotent. 409 once the run has ended.",
        {200: Run},
        errors=(409,),
    ),
    "v1.events.run_events": Operation(
        "Stream a run's events",
        "Server-Sent Events until the run's terminal event; resume "
        "with `Last-Event-ID`. 204 when resuming after the end of a finished run.",
        {200: EVENT_STREAM, 204: None},
        media_type="text/event-stream",
        parameters=(
            query("after", {"type": "integer", "minimum": 0}, "Resume after this event id."),
            {
                "name": "Last-Event-ID",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
            },
        ),
    ),
    "v1.trace.get_trace": Operation(
        "Get a run's trace", "Model steps and tool calls with their stored bodies.", {200: RunTrace}
    ),
    "v1.evals.list_evals": Operation(
        "Get a run's eval verdicts", "Oldest gate first.", {200: RunEvals}
    ),
    "v1.evals.agent_eval_stats": Operation(
        "Get an agent's eval pass rates",
        "Per eval, over the window and in buckets.",
        {200: EvalStats},
        parameters=(
            query(
                "window",
                {"type": "string", "enum": ["1h", "24h", "7d"], "default": "24h"},
                "The time window.",
            ),
        ),
        errors=(422,),  # invalid_window
    ),
    "v1.evals.approve": Operation(
        "Approve a parked run",
        "The run must be `awaiting_approval`.",
        {200: Run},
        ReviewRequest,
        errors=(409,),
    ),
    "v1.evals.reject": Operation(
        "Reject a parked run",
        "The run must be `awaiting_approval`; its owner is alerted.",
        {200: Run},
        ReviewRequest,
        errors=(409,),
    ),
    "v1.keys.create_key": Operation(
        "Create an API key",
        "The full key is in this response only.",
        {201: CreatedApiKey},
        NewApiKey,
        True,
    ),
    "v1.keys.list_keys": Operation(
        "List API keys",
        "The organisation's keys, oldest first, without secrets.",
        {200: Page[ApiKeyView]},
        parameters=PAGING,
    ),
    "v1.keys.revoke_key": Operation(
        "Revoke an API key",
        "Effective on every instance within 5 s; idempotent.",
        {200: ApiKeyView},
    ),
    "v1.keys.rotate_key": Operation(
        "Rotate an API key",
        "Mints a successor with the same name, scopes and expiry; the old "
        "key works for `grace_period_s` more.",
        {201: CreatedApiKey},
        RotateApiKey,
        errors=(409,),
    ),
    "v1.credentials.create_credential": Operation(
        "Store a credential",
        "API key, bearer token or OAuth 2.0 credential: the values go to Secret Manager and "
        "are never returned.",
        {201: CredentialDocument},
        NewCredential,
        True,
        errors=(409,),
    ),
    "v1.credentials.list_credentials": Operation(
        "List credentials",
        "Metadata only, oldest first, revoked ones included.",
        {200: Page[Credential]},
        parameters=PAGING,
    ),
    "v1.credentials.get_credential": Operation(
        "Get a credential", "Metadata only.", {200: CredentialDocument}
    ),
    "v1.credentials.revoke_credential": Operation(
        "Revoke a credential",
        "The integration proxy refuses it from the next call on; idempotent.",
        {200: CredentialDocument},
    ),
    "v1.credentials.grant_credential": Operation(
        "Grant a credential to an agent",
        "For the hosts, methods and path patterns given; replaces the agent's previous grant.",
        {200: CredentialDocument},
        Grant,
        True,
        errors=(409,),
    ),
    "hooks.receive": Operation(
        "Receive a webhook",
        "Signed by the sender (Standard Webhooks, GitHub, Stripe, Slack); "
        "no API key. 202 when a run started, 200 for a replay or a sender's handshake.",
        {202: HookAccepted, 200: {"type": "object"}},
        {"type": "object"},
        public=True,
        errors=(400, 401, 404, 409, 413, 503),
    ),
    "v1.audit.list_audit_events": Operation(
        "List audit events",
        "Every change made through the API (who, what, when), newest first. `resource_id` "
        "needs `resource_type` (422 `resource_type_required`).",
        {200: Page[AuditEvent]},
        parameters=(
            *PAGING,
            query(
                "resource_type",
                {"type": "string"},
                "Only events about this type of resource: `agent`, `run`, `api_key`, `credential`.",
            ),
            query("resource_id", {"type": "string"}, "Only events about this resource."),
        ),
    ),
    "v1.members.add_member": Operation(
        "Add a member or set a member's role",
        "Names the person by Firebase `uid` or by `email` (404 `user_not_found` when no user "
        "has it). 201 when added, 200 when the person was a member (the role is replaced).",
        {201: Membership, 200: Membership},
        NewMember,
        True,
        errors=(404,),  # user_not_found
    ),
    "v1.members.list_members": Operation(
        "List members",
        "The organisation's people and roles, by uid.",
        {200: Page[Membership]},
        parameters=PAGING,
    ),
    "v1.members.remove_member": Operation(
        "Remove a member",
        "Their ID tokens stop working for this organisation from the next request.",
        {204: None},
    ),
    "v1.members.get_me": Operation(
        "Who am I",
        "The caller's actor, organisation and scopes; a person's uid and role, a key's id.",
        {200: Me},
        parameters=(
            {
                "name": "X-Switchyard-Org",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "The organisation a signed-in person acts for (ID tokens only).",
            },
        ),
    ),
    "health.healthz": Operation("Liveness", "Touches no dependency.", {200: Health}, public=True),
    "docs.openapi": Operation(
        "This document", "OpenAPI 3.1.", {200: {"type": "object"}}, public=True
    ),
    "docs.reference": Operation(
        "The API reference",
        "This document rendered as HTML.",
        {200: {"type": "string"}},
        media_type="text/html",
        public=True,
    ),
}
