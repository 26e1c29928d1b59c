"""Environments: ``dev``, ``staging`` and ``prod``, each pointing at one version of an agent.

The rules (the defaults issue 7 asks for, kept in one place for both stores):

- Creating an agent puts version 1 in every environment.
- Each new version (``PUT /v1/agents/{id}``) moves ``dev`` to it; ``staging`` and ``prod`` stay.
- ``staging`` and ``prod`` move only by promotion or rollback
  (:mod:`shared.pipeline.environments`).
- Runs name the environment they use (``prod`` by default) and pin its version when created.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal, get_args

from shared.domain.base import Model
from shared.errors import NotFoundError

Environment = Literal["dev", "staging", "prod"]
"""An environment's name."""

ENVIRONMENTS: tuple[Environment, ...] = get_args(Environment)
DEFAULT_ENVIRONMENT: Environment = "prod"
"""The environment runs and triggers use when they name none."""
NEW_VERSION_ENVIRONMENT: Environment = "dev"
"""The environment every new version moves to as it is stored."""
SYSTEM_ACTOR = "system"
"""The actor of changes the platform makes itself (and of callers that name none)."""


class EnvironmentPointer(Model):
    """Which version an environment runs, and who put it there.

    Attributes:
        version: The agent version the environment runs.
        updated_at: When it was last moved (UTC).
        updated_by: Who moved it: ``api_key:<key_id>``, ``user:<uid>``.
    """

    version: int
    updated_at: datetime
    updated_by: str


def environment_named(name: str) -> Environment:
    """``name`` as an environment.

    Raises:
        NotFoundError: Code ``environment_not_found``: not ``dev``, ``staging`` or ``prod``.
    """
    for environment in ENVIRONMENTS:
        if name == environment:
            return environment
    raise NotFoundError(
        "environment_not_found",
        f"no environment {name!r}; environments are {', '.join(ENVIRONMENTS)}",
    )


def initial_environments(
    version: int, now: datetime, actor: str
) -> dict[Environment, EnvironmentPointer]:
    """Every environment at ``version``: a new agent's pointers."""
    pointer = EnvironmentPointer(version=version, updated_at=now, updated_by=actor)
    return dict.fromkeys(ENVIRONMENTS, pointer)


def moved(
    environments: Mapping[Environment, EnvironmentPointer],
    environment: Environment,
    version: int,
    now: datetime,
    actor: str,
) -> dict[Environment, EnvironmentPointer]:
    """``environments`` with ``environment`` at ``version``."""
    pointer = EnvironmentPointer(version=version, updated_at=now, updated_by=actor)
    return {**environments, environment: pointer}
