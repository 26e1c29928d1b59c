"""InMemoryAgentStore: the AgentStore twin, for unit tests.

Same rules as :class:`FirestoreAgentStore` (:mod:`shared.adapters.records`), one lock where
Firestore holds a transaction; versions go in and out as deep copies.
"""

from __future__ import annotations

import threading

from shared.adapters.records import (
    agent_name_taken,
    agent_not_found,
    new_agent,
    next_version,
    version_not_found,
    with_active,
    with_environment,
)
from shared.adapters.store_support import (
    check_page_size,
    decode_page_token,
    encode_page_token,
    make_page,
    new_id,
    utc_now,
)
from shared.domain.agents import Agent, AgentVersion, Page
from shared.domain.environments import SYSTEM_ACTOR, Environment
from shared.domain.spec import AgentSpec
from shared.ports.agent_store import AgentStore


class InMemoryAgentStore(AgentStore):
    """Agents and versions in dicts, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._agents: dict[str, Agent] = {}
        self._versions: dict[str, dict[int, AgentVersion]] = {}

    def create_agent(
        self, org_id: str, spec: AgentSpec, *, actor: str = SYSTEM_ACTOR
    ) -> tuple[Agent, AgentVersion]:
        """See :meth:`AgentStore.create_agent`.

        Raises:
            ConflictError: Code ``agent_name_taken``.
        """
        agent, version = new_agent(new_id(), org_id, spec, utc_now(), actor)
        with self._lock:
            if any(a.org_id == org_id and a.name == spec.name for a in self._agents.values()):
                raise agent_name_taken(spec.name)
            self._agents[agent.agent_id] = agent
            self._versions[agent.agent_id] = {1: version.model_copy(deep=True)}
        return agent, version

    def add_version(
        self, org_id: str, agent_id: str, spec: AgentSpec, *, actor: str = SYSTEM_ACTOR
    ) -> AgentVersion:
        """See :meth:`AgentStore.add_version`.

        Raises:
            NotFoundError: Code ``agent_not_found``.
            ValidationError: Code ``agent_name_mismatch``.
        """
        with self._lock:
            updated, version = next_version(self._agent(org_id, agent_id), spec, utc_now(), actor)
            self._agents[agent_id] = updated
            self._versions[agent_id][version.version] = version.model_copy(deep=True)
        return version

    def set_active(self, org_id: str, agent_id: str, active: bool) -> Agent:
        """See :meth:`AgentStore.set_active`.

        Raises:
            NotFoundError: Code ``agent_not_found``.
        """
        with self._lock:
            updated = with_active(self._agent(org_id, agent_id), active, utc_now())
            self._agents[agent_id] = updated
        return updated

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
        """See :meth:`AgentStore.set_environment`.

        Raises:
            NotFoundError: Code ``agent_not_found`` or ``agent_version_not_found``.
            ConflictError: Code ``environment_changed``.
        """
        with self._lock:
            agent = self._agent(org_id, agent_id)
            updated = with_environment(
                agent, environment, version, utc_now(), actor, expected_version
            )
            self._agents[agent_id] = updated
        return updated

    def get_agent(self, org_id: str, agent_id: str) -> Agent:
        """See :meth:`AgentStore.get_agent`.

        Raises:
            NotFoundError: Code ``agent_not_found``.
        """
        with self._lock:
            return self._agent(org_id, agent_id)

    def list_agents(
        self, org_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[Agent]:
        """See :meth:`AgentStore.list_agents`.

        Raises:
            ValidationError: Code ``invalid_page_token`` or ``invalid_page_size``.
        """
        check_page_size(page_size)
        after = decode_page_token(page_token, "agents", str)[0] if page_token is not None else None
        with self._lock:
            agents = sorted(
                (a for a in self._agents.values() if a.org_id == org_id), key=lambda a: a.name
            )
        if after is not None:
            agents = [agent for agent in agents if agent.name > after]
        return make_page(
            agents[: page_size + 1],
            page_size,
            lambda agent: encode_page_token("agents", agent.name),
        )

    def get_version(self, org_id: str, agent_id: str, version: int) -> AgentVersion:
        """See :meth:`AgentStore.get_version`.

        Raises:
            NotFoundError: Code ``agent_version_not_found``, also when the agent is missing.
        """
        with self._lock:
            stored = self._versions.get(agent_id, {}).get(version)
            if stored is None or stored.org_id != org_id:
                raise version_not_found(agent_id, version)
            return stored.model_copy(deep=True)

    def list_versions(
        self, org_id: str, agent_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[AgentVersion]:
        """See :meth:`AgentStore.list_versions`.

        Raises:
            NotFoundError: Code ``agent_not_found``.
            ValidationError: Code ``invalid_page_token`` or ``invalid_page_size``.
        """
        check_page_size(page_size)
        before = (
            decode_page_token(page_token, "versions", int)[0] if page_token is not None else None
        )
        with self._lock:
            self._agent(org_id, agent_id)
            versions = [
                stored.model_copy(deep=True)
                for number, stored in sorted(self._versions[agent_id].items(), reverse=True)
                if before is None or number < before
            ]
        return make_page(
            versions[: page_size + 1],
            page_size,
            lambda version: encode_page_token("versions", version.version),
        )

    def _agent(self, org_id: str, agent_id: str) -> Agent:
        agent = self._agents.get(agent_id)
        if agent is None or agent.org_id != org_id:
            raise agent_not_found(agent_id)
        return agent
