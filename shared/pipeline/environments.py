"""Promoting and rolling back an agent's environments (``dev``, ``staging``, ``prod``).

The defaults (:mod:`shared.domain.environments`): a new agent runs version 1 everywhere, each
new version moves ``dev``, and ``staging`` and ``prod`` move only through these two calls:

- **Promote** an environment to a version (``{"version": 3}``), or to the version another
  environment runs (``{"from_environment": "staging"}``). The version must not be earlier than
  the one the environment runs (409 ``promotion_to_earlier_version``: that is a rollback);
  promoting to the version it already runs changes nothing.
- **Roll back** an environment to any earlier version (409 ``rollback_not_earlier``
  otherwise).

Both read the environment, check the rule, and move it by compare-and-set
(:meth:`AgentStore.set_environment`), so of two concurrent moves from the same version one wins
and the other is 409 ``environment_changed``.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.composition import Dependencies
from shared.domain.agents import Agent
from shared.domain.environments import Environment, EnvironmentPointer
from shared.errors import ConflictError, NotFoundError, ValidationError


@dataclass(frozen=True)
class EnvironmentMove:
    """One environment moved (or found already where it was asked to go).

    Attributes:
        agent: The agent as stored afterwards.
        environment: The environment.
        from_version: The version it ran before.
        to_version: The version it runs now.
    """

    agent: Agent
    environment: Environment
    from_version: int
    to_version: int


def list_environments(
    deps: Dependencies, org_id: str, agent_id: str
) -> dict[Environment, EnvironmentPointer]:
    """Every environment of the agent with its version, ``updated_at`` and ``updated_by``.

    An agent stored before environments existed ran its latest version everywhere: its
    environments show that version, moved at its ``updated_at`` by ``system``.

    Raises:
        NotFoundError: Code ``agent_not_found``.
        TransientError: The store is unavailable.
    """
    return deps.agents.get_agent(org_id, agent_id).environment_pointers()


def promote(
    deps: Dependencies,
    org_id: str,
    agent_id: str,
    environment: Environment,
    *,
    actor: str,
    version: int | None = None,
    from_environment: Environment | None = None,
) -> EnvironmentMove:
    """Point ``environment`` at ``version``, or at the version ``from_environment`` runs.

    Args:
        deps: Dependencies.
        org_id: The caller's organisation.
        agent_id: The agent.
        environment: The environment to move.
        actor: Who moves it (``api_key:<key_id>``, ``user:<uid>``).
        version: The version to run; exactly one of ``version`` and ``from_environment``.
        from_environment: The environment whose version to run (``staging`` to promote what
            staging runs to ``prod``).

    Returns:
        The move; ``from_version == to_version`` when the environment ran it already.

    Raises:
        ValidationError: Code ``invalid_promotion``: neither or both of ``version`` and
            ``from_environment``, or ``from_environment`` is ``environment`` itself.
        NotFoundError: Code ``agent_not_found`` or ``agent_version_not_found``.
        ConflictError: Code ``promotion_to_earlier_version`` (roll back instead), or
            ``environment_changed`` (moved meanwhile; read it again).
        TransientError: The store is unavailable.
    """
    if (version is None) == (from_environment is None) or from_environment == environment:
        raise ValidationError(
            "invalid_promotion",
            "send either 'version' or 'from_environment' (another environment)",
            errors=[{"field": "body", "message": "one of version, from_environment"}],
        )
    agent = deps.agents.get_agent(org_id, agent_id)
    current = agent.version_in(environment)
    target = version if version is not None else agent.version_in(from_environment or "dev")
    _check_exists(agent, target)
    if target < current:
        raise ConflictError(
            "promotion_to_earlier_version",
            f"{environment} runs version {current}; version {target} is earlier: roll back",
        )
    return _move(deps, agent, environment, current, target, actor)


def rollback(
    deps: Dependencies,
    org_id: str,
    agent_id: str,
    environment: Environment,
    version: int,
    *,
    actor: str,
) -> EnvironmentMove:
    """Point ``environment`` back at ``version``, which must be earlier than the one it runs.

    Raises:
        NotFoundError: Code ``agent_not_found`` or ``agent_version_not_found``.
        ConflictError: Code ``rollback_not_earlier``, or ``environment_changed`` (moved
            meanwhile).
        TransientError: The store is unavailable.
    """
    agent = deps.agents.get_agent(org_id, agent_id)
    current = agent.version_in(environment)
    _check_exists(agent, version)
    if version >= current:
        raise ConflictError(
            "rollback_not_earlier",
            f"{environment} runs version {current}; a rollback goes to an earlier version",
        )
    return _move(deps, agent, environment, current, version, actor)


def _check_exists(agent: Agent, version: int) -> None:
    if not 1 <= version <= agent.latest_version:
        raise NotFoundError(
            "agent_version_not_found", f"agent {agent.agent_id} has no version {version}"
        )


def _move(
    deps: Dependencies,
    agent: Agent,
    environment: Environment,
    current: int,
    target: int,
    actor: str,
) -> EnvironmentMove:
    if target != current:
        agent = deps.agents.set_environment(
            agent.org_id,
            agent.agent_id,
            environment,
            target,
            actor=actor,
            expected_version=current,
        )
    return EnvironmentMove(agent, environment, current, target)
