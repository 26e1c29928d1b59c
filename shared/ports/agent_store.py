"""AgentStore: agents and their immutable versions, scoped to an organisation."""

from __future__ import annotations

import abc

from shared.domain.agents import Agent, AgentVersion, Page
from shared.domain.environments import SYSTEM_ACTOR, Environment
from shared.domain.spec import AgentSpec


class AgentStore(abc.ABC):
    """Every method takes the caller's ``org_id``; another organisation's agent is not found."""

    @abc.abstractmethod
    def create_agent(
        self, org_id: str, spec: AgentSpec, *, actor: str = SYSTEM_ACTOR
    ) -> tuple[Agent, AgentVersion]:
        """Create an agent with ``spec`` as version 1, which every environment runs.

        ``actor`` (``api_key:<key_id>``, ``user:<uid>``) is recorded as the environments'
        ``updated_by``.

        Raises:
            ConflictError: Code ``agent_name_taken``: the organisation has an agent of that name.
        """

    @abc.abstractmethod
    def add_version(
        self, org_id: str, agent_id: str, spec: AgentSpec, *, actor: str = SYSTEM_ACTOR
    ) -> AgentVersion:
        """Store ``spec`` as the agent's next version (``latest_version + 1``) and move the
        ``dev`` environment to it, in one transaction; ``actor`` is ``dev``'s ``updated_by``.

        Raises:
            NotFoundError: No such agent in the organisation.
            ValidationError: ``spec.name`` differs from the agent's name.
        """

    @abc.abstractmethod
    def set_active(self, org_id: str, agent_id: str, active: bool) -> Agent:
        """Activate or deactivate the agent; inactive agents start no runs.

        Returns:
            The agent as stored; ``updated_at`` changes only when ``active`` did.

        Raises:
            NotFoundError: No such agent in the organisation.
        """

    @abc.abstractmethod
    def set_environment(
        self,
        org_id: str,
        agent_id: str,
        environment: Environment,
        version: int,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> Agent:
        """Point ``environment`` at ``version``, atomically (a compare-and-set).

        Args:
            org_id: The caller's organisation.
            agent_id: The agent.
            environment: ``dev``, ``staging`` or ``prod``.
            version: An existing version of the agent.
            actor: Who moves it (``api_key:<key_id>``, ``user:<uid>``): ``updated_by``.
            expected_version: The version the caller read the environment at; the move is
                refused when it runs another one now. None moves it whatever it runs.

        Returns:
            The agent as stored.

        Raises:
            NotFoundError: Code ``agent_not_found`` or ``agent_version_not_found``.
            ConflictError: Code ``environment_changed``: not at ``expected_version``.
        """

    @abc.abstractmethod
    def get_agent(self, org_id: str, agent_id: str) -> Agent:
        """The agent.

        Raises:
            NotFoundError: No such agent in the organisation.
        """

    @abc.abstractmethod
    def list_agents(
        self, org_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[Agent]:
        """The organisation's agents, by name.

        Raises:
            ValidationError: Bad ``page_token``.
        """

    @abc.abstractmethod
    def get_version(self, org_id: str, agent_id: str, version: int) -> AgentVersion:
        """One version.

        Raises:
            NotFoundError: No such agent or version in the organisation.
        """

    @abc.abstractmethod
    def list_versions(
        self, org_id: str, agent_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[AgentVersion]:
        """The agent's versions, newest first.

        Raises:
            NotFoundError: No such agent in the organisation.
            ValidationError: Bad ``page_token``.
        """
