"""The composition root: every dependency of the core, built once per process, lazily.

Edges (functions and Cloud Run services) call :func:`get_dependencies` inside a request, never
at import time, so a cold start pays only for what it uses and tests can build their own
:class:`Dependencies` from in-memory twins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from shared.adapters.in_memory_audit_event_store import InMemoryAuditEventStore
from shared.adapters.in_memory_audit_log import InMemoryAuditLog
from shared.adapters.in_memory_credential_store import InMemoryCredentialStore
from shared.adapters.in_memory_eval_result_store import InMemoryEvalResultStore
from shared.adapters.in_memory_membership_store import InMemoryMembershipStore
from shared.ports.agent_store import AgentStore
from shared.ports.audit_event_store import AuditEventStore
from shared.ports.audit_log import AuditLog
from shared.ports.blob_store import BlobStore
from shared.ports.credential_store import CredentialStore
from shared.ports.eval_result_store import EvalResultStore
from shared.ports.event_publisher import EventPublisher
from shared.ports.idempotency_store import IdempotencyStore
from shared.ports.identity_store import IdentityStore
from shared.ports.membership_store import MembershipStore
from shared.ports.model_client import ModelClient
from shared.ports.run_store import RunStore
from shared.ports.scheduler import JobScheduler
from shared.ports.secret_store import SecretStore
from shared.ports.task_queue import TaskQueue
from shared.ports.trigger_store import TriggerStore
from shared.settings import Settings, get_settings


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Dependencies:
    """Everything the use cases need, as ports.

    Attributes:
        settings: Configuration.
        runs: Runs, events, steps and tool results.
        agents: Agents and versions.
        identities: Organisations and API keys.
        publisher: Pipeline topics.
        tasks: Cloud Tasks queues.
        blobs: Traces and artifacts.
        secrets: Platform secrets (webhook signing keys, API key pepper).
        model: The model service.
        triggers: Webhook endpoints, event subscriptions, cron state.
        idempotency: Idempotency keys and webhook and event receipts.
        scheduler: Cloud Scheduler jobs of cron agents.
        clock: Returns the current UTC time.
        eval_results: Eval verdicts of runs. Defaults to the in-memory twin, so tests that
            build their own dependencies need not name it; :func:`build_dependencies` gives
            Firestore's.
        credentials: Credential metadata and grants (values are in ``secrets``); in-memory
            twin by default, as ``eval_results``.
        audit: The integration proxy's audit log; in-memory twin by default.
        audit_events: Changes made through the API (not tool calls); in-memory twin by
            default.
        members: People's organisation memberships and roles; in-memory twin by default.
    """

    settings: Settings
    runs: RunStore
    agents: AgentStore
    identities: IdentityStore
    publisher: EventPublisher
    tasks: TaskQueue
    blobs: BlobStore
    secrets: SecretStore
    model: ModelClient
    triggers: TriggerStore
    idempotency: IdempotencyStore
    scheduler: JobScheduler
    clock: Callable[[], datetime] = field(default=utc_now)
    eval_results: EvalResultStore = field(default_factory=InMemoryEvalResultStore)
    credentials: CredentialStore = field(default_factory=InMemoryCredentialStore)
    audit: AuditLog = field(default_factory=InMemoryAuditLog)
    audit_events: AuditEventStore = field(default_factory=InMemoryAuditEventStore)
    members: MembershipStore = field(default_factory=InMemoryMembershipStore)


def build_dependencies(settings: Settings) -> Dependencies:
    """Dependencies backed by Google Cloud (or the local stack's emulators)."""
    # Imported here so that importing the core never loads Google's client libraries.
    from shared.adapters.cloud_scheduler import CloudScheduler
    from shared.adapters.cloud_tasks_queue import CloudTasksQueue
    from shared.adapters.firestore_agent_store import FirestoreAgentStore
    from shared.adapters.firestore_audit_event_store import FirestoreAuditEventStore
    from shared.adapters.firestore_audit_log import FirestoreAuditLog
    from shared.adapters.firestore_credential_store import FirestoreCredentialStore
    from shared.adapters.firestore_eval_result_store import FirestoreEvalResultStore
    from shared.adapters.firestore_idempotency_store import FirestoreIdempotencyStore
    from shared.adapters.firestore_identity_store import FirestoreIdentityStore
    from shared.adapters.firestore_membership_store import FirestoreMembershipStore
    from shared.adapters.firestore_run_store import FirestoreRunStore
    from shared.adapters.firestore_trigger_store import FirestoreTriggerStore
    from shared.adapters.gcs_blob_store import GcsBlobStore
    from shared.adapters.pubsub_publisher import PubSubEventPublisher
    from shared.adapters.secret_manager_store import SecretManagerStore
    from shared.adapters.vertex_model_client import VertexModelClient
    from shared.gcp_clients import firestore_client

    database = firestore_client(settings)
    return Dependencies(
        settings=settings,
        runs=FirestoreRunStore(database),
        agents=FirestoreAgentStore(database),
        identities=FirestoreIdentityStore(database),
        publisher=PubSubEventPublisher(settings),
        tasks=CloudTasksQueue(settings, service_account_email=settings.tasks_invoker_email),
        blobs=GcsBlobStore(settings),
        secrets=SecretManagerStore(settings),
        model=VertexModelClient(settings),
        triggers=FirestoreTriggerStore(database),
        idempotency=FirestoreIdempotencyStore(database),
        scheduler=CloudScheduler(settings),
        eval_results=FirestoreEvalResultStore(database),
        credentials=FirestoreCredentialStore(database),
        audit=FirestoreAuditLog(database),
        audit_events=FirestoreAuditEventStore(database),
        members=FirestoreMembershipStore(database),
    )


@lru_cache(maxsize=1)
def get_dependencies() -> Dependencies:
    """The process's dependencies, built on first use."""
    return build_dependencies(get_settings())
