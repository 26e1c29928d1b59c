"""FirestoreAgentStore: agents and their immutable versions in Firestore.

Layout (DESIGN.md §2)::

    agents/{agent_id}                       Agent, random id; latest_version is its newest version
    agents/{agent_id}/versions/{n:06d}      AgentVersion, spec as JSON text; created, never updated

Names are unique within an organisation: :meth:`create_agent` queries for the name inside the
transaction that creates the agent. Firestore transactions are serializable, so of two creators
of one name only one commits; the other retries, finds the name and gets ``agent_name_taken``
(see "Transaction serializability and isolation" in the Firestore docs; the contract suite
races several creators on the emulator). :meth:`add_version` reads and bumps
``latest_version`` in a transaction, so concurrent additions get distinct numbers.
"""

from __future__ import annotations

from google.cloud import firestore

from shared.adapters.firestore_support import (
    DocumentCodec,
    FirestoreIndex,
    firestore_errors,
    run_transaction,
    snapshot_data,
)
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
    is_document_id,
    make_page,
    new_id,
    utc_now,
)
from shared.domain.agents import Agent, AgentVersion, Page
from shared.domain.environments import SYSTEM_ACTOR, Environment
from shared.domain.spec import AgentSpec
from shared.ports.agent_store import AgentStore
from shared.resources import AGENT_VERSIONS, AGENTS

# list_agents (org_id equality, by name); it also serves create_agent's name lookup. Versions
# are ordered by a single field of their subcollection, which needs no composite index.
FIRESTORE_INDEXES = (FirestoreIndex(AGENTS, (("org_id", "ASCENDING"), ("name", "ASCENDING"))),)

_AGENT = DocumentCodec(Agent)
_VERSION = DocumentCodec(AgentVersion, json_fields=("spec",))


class FirestoreAgentStore(AgentStore):
    """Agents in the ``agents`` collection of a Firestore database.

    Besides the errors each method names, every method raises :class:`TransientError` (code
    ``firestore_unavailable``, or ``firestore_contention`` when a transaction kept being
    aborted) when Firestore fails in a way a retry may fix.

    Args:
        client: Firestore client (of the emulator when ``FIRESTORE_EMULATOR_HOST`` is set).
    """

    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._agents = client.collection(AGENTS)

    @firestore_errors()
    def create_agent(
        self, org_id: str, spec: AgentSpec, *, actor: str = SYSTEM_ACTOR
    ) -> tuple[Agent, AgentVersion]:
        """See :meth:`AgentStore.create_agent`.

        Raises:
            ConflictError: Code ``agent_name_taken``.
        """
        agent, version = new_agent(new_id(), org_id, spec, utc_now(), actor)
        ref = self._agents.document(agent.agent_id)
        same_name = (
            self._agents.where(filter=firestore.FieldFilter("org_id", "==", org_id))
            .where(filter=firestore.FieldFilter("name", "==", spec.name))
            .limit(1)
        )

        def body(transaction: firestore.Transaction) -> None:
            if any(True for _ in same_name.stream(transaction=transaction)):
                raise agent_name_taken(spec.name)
            transaction.create(ref, _AGENT.encode(agent))
            transaction.create(_version_ref(ref, 1), _VERSION.encode(version))

        run_transaction(self._client, body)
        return agent, version

    @firestore_errors()
    def add_version(
        self, org_id: str, agent_id: str, spec: AgentSpec, *, actor: str = SYSTEM_ACTOR
    ) -> AgentVersion:
        """See :meth:`AgentStore.add_version`.

        Raises:
            NotFoundError: Code ``agent_not_found``.
            ValidationError: Code ``agent_name_mismatch``.
        """
        ref = self._agent_ref(agent_id)

        def body(transaction: firestore.Transaction) -> AgentVersion:
            agent = _read_agent(ref, org_id, transaction)
            updated, version = next_version(agent, spec, utc_now(), actor)
            transaction.set(ref, _AGENT.encode(updated))
            transaction.create(_version_ref(ref, version.version), _VERSION.encode(version))
            return version

        return run_transaction(self._client, body)

    @firestore_errors()
    def set_active(self, org_id: str, agent_id: str, active: bool) -> Agent:
        """See :meth:`AgentStore.set_active`.

        Raises:
            NotFoundError: Code ``agent_not_found``.
        """
        ref = self._agent_ref(agent_id)

        def body(transaction: firestore.Transaction) -> Agent:
            agent = _read_agent(ref, org_id, transaction)
            updated = with_active(agent, active, utc_now())
            if updated != agent:
                transaction.set(ref, _AGENT.encode(updated))
            return updated

        return run_transaction(self._client, body)

    @firestore_errors()
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
        """See :meth:`AgentStore.set_environment`: read and write in one transaction.

        Raises:
            NotFoundError: Code ``agent_not_found`` or ``agent_version_not_found``.
            ConflictError: Code ``environment_changed``.
        """
        ref = self._agent_ref(agent_id)

        def body(transaction: firestore.Transaction) -> Agent:
            agent = _read_agent(ref, org_id, transaction)
            updated = with_environment(
                agent, environment, version, utc_now(), actor, expected_version
            )
            transaction.set(ref, _AGENT.encode(updated))
            return updated

        return run_transaction(self._client, body)

    @firestore_errors()
    def get_agent(self, org_id: str, agent_id: str) -> Agent:
        """See :meth:`AgentStore.get_agent`.

        Raises:
            NotFoundError: Code ``agent_not_found``.
        """
        return _read_agent(self._agent_ref(agent_id), org_id)

    @firestore_errors()
    def list_agents(
        self, org_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[Agent]:
        """See :meth:`AgentStore.list_agents`.

        Raises:
            ValidationError: Code ``invalid_page_token`` or ``invalid_page_size``.
        """
        check_page_size(page_size)
        query = self._agents.where(filter=firestore.FieldFilter("org_id", "==", org_id)).order_by(
            "name"
        )
        if page_token is not None:
            (name,) = decode_page_token(page_token, "agents", str)
            query = query.start_after({"name": name})
        agents = [_AGENT.decode(snapshot_data(s)) for s in query.limit(page_size + 1).stream()]
        return make_page(agents, page_size, lambda agent: encode_page_token("agents", agent.name))

    @firestore_errors()
    def get_version(self, org_id: str, agent_id: str, version: int) -> AgentVersion:
        """See :meth:`AgentStore.get_version`.

        Raises:
            NotFoundError: Code ``agent_version_not_found``, also when the agent is missing.
        """
        if not is_document_id(agent_id):
            raise version_not_found(agent_id, version)
        snapshot = _version_ref(self._agents.document(agent_id), version).get()
        if not snapshot.exists:
            raise version_not_found(agent_id, version)
        stored = _VERSION.decode(snapshot_data(snapshot))
        if stored.org_id != org_id:
            raise version_not_found(agent_id, version)
        return stored

    @firestore_errors()
    def list_versions(
        self, org_id: str, agent_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[AgentVersion]:
        """See :meth:`AgentStore.list_versions`.

        Raises:
            NotFoundError: Code ``agent_not_found``.
            ValidationError: Code ``invalid_page_token`` or ``invalid_page_size``.
        """
        check_page_size(page_size)
        ref = self._agent_ref(agent_id)
        _read_agent(ref, org_id)
        query = ref.collection(AGENT_VERSIONS).order_by(
            "version", direction=firestore.Query.DESCENDING
        )
        if page_token is not None:
            (number,) = decode_page_token(page_token, "versions", int)
            query = query.start_after({"version": number})
        versions = [_VERSION.decode(snapshot_data(s)) for s in query.limit(page_size + 1).stream()]
        return make_page(
            versions, page_size, lambda version: encode_page_token("versions", version.version)
        )

    def _agent_ref(self, agent_id: str) -> firestore.DocumentReference:
        if not is_document_id(agent_id):
            raise agent_not_found(agent_id)
        return self._agents.document(agent_id)


def _version_ref(
    agent_ref: firestore.DocumentReference, version: int
) -> firestore.DocumentReference:
    return agent_ref.collection(AGENT_VERSIONS).document(f"{version:06d}")


def _read_agent(
    ref: firestore.DocumentReference,
    org_id: str,
    transaction: firestore.Transaction | None = None,
) -> Agent:
    snapshot = ref.get(transaction=transaction)
    if not snapshot.exists:
        raise agent_not_found(ref.id)
    agent = _AGENT.decode(snapshot_data(snapshot))
    if agent.org_id != org_id:
        raise agent_not_found(ref.id)
    return agent
