"""Typed views of the API's responses.

They accept fields they do not know (``extra="allow"``), so a newer API does not break an
older SDK; statuses are plain strings for the same reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

TERMINAL_STATUSES = frozenset(
    {"rejected", "blocked", "delivered", "delivery_failed", "failed", "cancelled"}
)
"""Run statuses a run cannot leave."""

SUCCEEDED_STATUSES = frozenset({"delivered"})
"""Terminal statuses that mean the run did its job."""


class ApiModel(BaseModel):
    """Base of the response models: immutable, tolerant of new fields."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Page(ApiModel, Generic[T]):
    """One page of a list.

    Attributes:
        items: The page's items.
        next_page_token: Pass as ``page_token`` for the next page; None on the last.
    """

    items: list[T]
    next_page_token: str | None = None


class EnvironmentPointer(ApiModel):
    """Which version an environment (``dev``, ``staging``, ``prod``) runs, since when, by whom."""

    version: int
    updated_at: datetime
    updated_by: str


class Agent(ApiModel):
    """An agent: a name, its numbered, immutable versions, and the version each environment
    runs (a new agent runs version 1 everywhere; each new version moves ``dev``)."""

    agent_id: str
    org_id: str
    name: str
    latest_version: int
    active: bool = True
    created_at: datetime
    updated_at: datetime
    environments: dict[str, EnvironmentPointer] = Field(default_factory=dict)


class AgentVersion(ApiModel):
    """One version of an agent's spec (the spec as the API normalised it)."""

    agent_id: str
    org_id: str
    version: int
    spec: dict[str, Any]
    created_at: datetime


class AgentDetail(ApiModel):
    """An agent with its latest version and trigger (``GET /v1/agents/{id}``)."""

    agent: Agent
    version: AgentVersion
    trigger: dict[str, Any] | None = None


class RunError(ApiModel):
    """Why a run stopped."""

    code: str
    message: str


class Usage(ApiModel):
    """Tokens, steps and tool calls a run has used."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_steps: int = 0
    tool_calls: int = 0


class Run(ApiModel):
    """One execution of one agent version."""

    run_id: str
    org_id: str
    agent_id: str
    agent_version: int
    environment: str | None = None
    status: str
    trigger: str = "manual"
    input: dict[str, Any] = Field(default_factory=dict)
    output: str | None = None
    error: RunError | None = None
    usage: Usage = Usage()
    artifact_uri: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    updated_at: datetime
    event_count: int = 0

    @property
    def terminal(self) -> bool:
        """True once the run can move no further."""
        return self.status in TERMINAL_STATUSES

    @property
    def succeeded(self) -> bool:
        """True when the run ended delivered."""
        return self.status in SUCCEEDED_STATUSES


class RunEvent(ApiModel):
    """One entry of a run's event log (an SSE message of ``/v1/runs/{id}/events``)."""

    seq: int
    type: str
    at: datetime
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        """True for the event that ends the run (``run.delivered``, ``run.failed``, ...)."""
        return self.type.startswith("run.") and self.type[4:] in TERMINAL_STATUSES


class Trace(ApiModel):
    """A run's model steps and tool calls, each with its stored trace body."""

    run_id: str
    status: str
    steps: list[dict[str, Any]] = Field(default_factory=list)
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)


class Environments(ApiModel):
    """An agent's environments (``GET /v1/agents/{id}/environments``)."""

    agent_id: str
    environments: dict[str, EnvironmentPointer]


class EnvironmentChange(ApiModel):
    """An environment after a promotion or rollback; ``from_version == to_version`` when it
    ran that version already."""

    agent: Agent
    environment: str
    from_version: int
    to_version: int


class ApiKey(ApiModel):
    """An API key's record: everything but its secret."""

    key_id: str
    name: str
    mode: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None = None
    revoked: bool = False
    revoked_at: datetime | None = None
    rotated_to: str | None = None
    last_used_at: datetime | None = None


class CreatedApiKey(ApiModel):
    """A new key: ``key`` is shown this once; store it now."""

    key: str
    api_key: ApiKey


class AuditEvent(ApiModel):
    """One change made through the API: who did what to which resource, and when."""

    event_id: str
    org_id: str
    actor: str
    action: str
    resource_type: str
    resource_id: str
    details: dict[str, Any] = Field(default_factory=dict)
    at: datetime
