"""Organisations, API keys, agents and their immutable versions."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import Field, field_validator

from shared.domain.base import Model
from shared.domain.environments import (
    ENVIRONMENTS,
    SYSTEM_ACTOR,
    Environment,
    EnvironmentPointer,
)
from shared.domain.spec import AgentSpec

T = TypeVar("T")


class Page(Model, Generic[T]):
    """One page of a list.

    Attributes:
        items: The page's items, in the list's order.
        next_page_token: Opaque token for the next page, or None on the last page.
    """

    items: tuple[T, ...]
    next_page_token: str | None = None


class Org(Model):
    """An organisation: the tenant every resource belongs to."""

    schema_version: Literal[1] = 1
    org_id: str
    name: str
    created_at: datetime


Scope = Literal[
    "agents:read", "agents:write", "runs:read", "runs:write", "credentials:write", "admin"
]
"""What an API key may do; ``admin`` may do everything (``shared.auth.scopes``)."""


class ApiKey(Model):
    """The stored half of an API key: never the key itself.

    Attributes:
        key_id: Public id, the key's middle part.
        org_id: Organisation the key acts for.
        secret_hash: Hex HMAC-SHA256 of the key's secret with the platform pepper.
        created_at: When it was made (UTC).
        revoked: True once revoked.
        name: The owner's label for the key ("ci", "laptop").
        mode: ``live`` or ``test``: the key's prefix (``sy_live_`` / ``sy_test_``).
        scopes: What the key may do; none by default.
        expires_at: When the key stops working (UTC), or None for never.
        revoked_at: When it was revoked (UTC).
        rotated_to: The key id of the key that replaced this one by rotation.
        last_used_at: When it last authenticated a request, to within a minute (UTC).
    """

    schema_version: Literal[1] = 1
    key_id: str
    org_id: str
    secret_hash: str
    created_at: datetime
    revoked: bool = False
    name: str = ""
    mode: Literal["live", "test"] = "live"
    scopes: tuple[Scope, ...] = ()
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    rotated_to: str | None = None
    last_used_at: datetime | None = None


class Agent(Model):
    """An agent: a name in an organisation and a history of versions.

    Attributes:
        agent_id: Random id.
        org_id: Owning organisation.
        name: The spec's name, unique within the organisation.
        latest_version: Highest version number, from 1.
        active: False once deactivated; inactive agents start no runs.
        created_at: When created (UTC).
        updated_at: When the latest version was added (UTC).
        environments: Which version each environment (``dev``, ``staging``, ``prod``) runs. A
            new agent has version 1 in all three; each new version moves ``dev``; ``staging``
            and ``prod`` move by promotion and rollback (:mod:`shared.domain.environments`).
    """

    schema_version: Literal[1] = 1
    agent_id: str
    org_id: str
    name: str
    latest_version: int
    active: bool = True
    created_at: datetime
    updated_at: datetime
    environments: dict[Environment, EnvironmentPointer] = Field(default_factory=dict)

    @field_validator("environments")
    @classmethod
    def _in_order(
        cls, value: dict[Environment, EnvironmentPointer]
    ) -> dict[Environment, EnvironmentPointer]:
        # dev, staging, prod, however the store ordered the map
        return {name: value[name] for name in ENVIRONMENTS if name in value}

    def environment_pointers(self) -> dict[Environment, EnvironmentPointer]:
        """Every environment's pointer. An agent stored before environments existed ran its
        latest version everywhere: such an environment shows that version, moved at the
        agent's ``updated_at`` by ``system``."""
        legacy = EnvironmentPointer(
            version=self.latest_version, updated_at=self.updated_at, updated_by=SYSTEM_ACTOR
        )
        return {name: self.environments.get(name, legacy) for name in ENVIRONMENTS}

    def version_in(self, environment: Environment) -> int:
        """The version ``environment`` runs (see :meth:`environment_pointers`)."""
        return self.environment_pointers()[environment].version


class AgentVersion(Model):
    """An immutable spec version of an agent.

    Attributes:
        agent_id: The agent.
        org_id: Owning organisation.
        version: Version number, from 1.
        spec: The spec as stored.
        created_at: When the version was stored (UTC).
    """

    schema_version: Literal[1] = 1
    agent_id: str
    org_id: str
    version: int
    spec: AgentSpec
    created_at: datetime
