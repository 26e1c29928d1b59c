"""Every Google Cloud resource name Switchyard uses, declared once.

The local provisioner (``emulators/provision.py``) builds the local stack from this module and
Terraform (``infra/terraform/``) declares the same names for Google Cloud; a repository test
fails when the two drift. Naming follows ``STYLE.md``: topics are past-tense facts in
kebab-case, subscriptions are ``<topic>--<consumer>``, dead-letter topics are
``<subscription>-dlq``, queues are named for their work, Firestore collections are plural
snake_case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# --- Pub/Sub -------------------------------------------------------------------------------

RUN_REQUESTED: Final = "run-requested"
RUN_APPROVED: Final = "run-approved"
RUN_GENERATED: Final = "run-generated"
RUN_PASSED: Final = "run-passed"
RUN_STOPPED: Final = "run-stopped"
RUN_FINISHED: Final = "run-finished"
# A cron agent's scheduled time came: Cloud Scheduler publishes it (no run exists yet), and the
# ``cron`` function applies the agent's overlap and missed-tick policies before requesting one.
RUN_SCHEDULED: Final = "run-scheduled"
# A minute passed: Cloud Scheduler's sweep job publishes it, and the ``sweeper`` function moves
# again (or fails) the runs that stopped moving (shared/pipeline/sweeper.py).
SWEEP_REQUESTED: Final = "sweep-requested"

PIPELINE_TOPICS: Final = (
    RUN_REQUESTED,
    RUN_APPROVED,
    RUN_GENERATED,
    RUN_PASSED,
    RUN_STOPPED,
    RUN_FINISHED,
    RUN_SCHEDULED,
    SWEEP_REQUESTED,
)


@dataclass(frozen=True)
class Subscription:
    """A push subscription from a pipeline topic to the stage that consumes it.

    Attributes:
        topic: Topic the subscription reads.
        consumer: Function or Cloud Run service folder that receives the pushes.
        push_path: HTTP path on the consumer that receives the push (``/`` for functions).
        ack_deadline_s: Seconds the consumer has to answer before redelivery.
        max_delivery_attempts: Deliveries before the message goes to the dead-letter topic
            (Pub/Sub allows 5 to 100).
        min_backoff_s: Minimum retry backoff in seconds (Pub/Sub allows 0 to 600).
        max_backoff_s: Maximum retry backoff in seconds (Pub/Sub allows 0 to 600).
    """

    topic: str
    consumer: str
    push_path: str = "/"
    ack_deadline_s: int = 60
    max_delivery_attempts: int = 5
    min_backoff_s: int = 1
    max_backoff_s: int = 60

    @property
    def name(self) -> str:
        """``<topic>--<consumer>``."""
        return f"{self.topic}--{self.consumer}"

    @property
    def dead_letter_topic(self) -> str:
        """``<subscription>-dlq``."""
        return f"{self.name}-dlq"

    @property
    def dead_letter_subscription(self) -> str:
        """``<subscription>-dlq--inspect``: a pull subscription that keeps dead letters.

        Pub/Sub drops messages published to a topic without subscriptions, so every dead-letter
        topic needs one for its messages to stay inspectable and replayable.
        """
        return f"{self.dead_letter_topic}--inspect"


SUBSCRIPTIONS: Final = (
    Subscription(RUN_REQUESTED, "preflight"),
    Subscription(RUN_APPROVED, "executor", push_path="/pubsub/run-approved", ack_deadline_s=120),
    Subscription(RUN_GENERATED, "postgen"),
    Subscription(RUN_PASSED, "deliver"),
    Subscription(RUN_STOPPED, "alert"),
    # A tick queued behind a running run (overlap: queue) waits by being redelivered: up to 100
    # deliveries, 10 s to 5 min apart (about eight hours), then it is dead-lettered.
    Subscription(
        RUN_SCHEDULED, "cron", max_delivery_attempts=100, min_backoff_s=10, max_backoff_s=300
    ),
    Subscription(RUN_FINISHED, "chain"),
    Subscription(SWEEP_REQUESTED, "sweeper"),
)

SUBSCRIPTIONS_BY_CONSUMER: Final = {sub.consumer: sub for sub in SUBSCRIPTIONS}

# --- Cloud Tasks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    """A Cloud Tasks queue and its dispatch limits.

    Attributes:
        name: Queue id, named for its work.
        max_dispatches_per_second: Rate limit (token bucket refill rate), dispatches/second.
        max_concurrent_dispatches: Tasks in flight at once.
        max_attempts: Attempts including the first; -1 for unlimited.
        min_backoff_s: First retry delay in seconds.
        max_backoff_s: Largest retry delay in seconds.
        max_doublings: Times the delay doubles before it grows linearly.
    """

    name: str
    max_dispatches_per_second: float
    max_concurrent_dispatches: int
    max_attempts: int = 5
    min_backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    max_doublings: int = 4


MODEL_STEPS_QUEUE: Final = Queue(
    "model-steps", max_dispatches_per_second=10, max_concurrent_dispatches=20
)
WEBHOOK_DELIVERIES_QUEUE: Final = Queue(
    "webhook-deliveries", max_dispatches_per_second=20, max_concurrent_dispatches=20, max_attempts=8
)
TOOL_QUEUE_PREFIX: Final = "tool-"


def tool_queue_name(tool_name: str) -> str:
    """The Cloud Tasks queue of a tool: ``http_fetch`` → ``tool-http-fetch``."""
    return TOOL_QUEUE_PREFIX + tool_name.replace("_", "-")


TOOL_QUEUES: Final = (
    Queue(tool_queue_name("http_fetch"), max_dispatches_per_second=5, max_concurrent_dispatches=10),
    Queue(
        tool_queue_name("http_request"), max_dispatches_per_second=5, max_concurrent_dispatches=10
    ),
    Queue(tool_queue_name("gcs_write"), max_dispatches_per_second=10, max_concurrent_dispatches=10),
    # Slack allows about one message per second per channel.
    Queue(tool_queue_name("slack_post"), max_dispatches_per_second=1, max_concurrent_dispatches=2),
    # Every user-defined HTTP tool of every agent (their names are the users').
    Queue(tool_queue_name("user_http"), max_dispatches_per_second=5, max_concurrent_dispatches=10),
)

QUEUES: Final = (MODEL_STEPS_QUEUE, WEBHOOK_DELIVERIES_QUEUE, *TOOL_QUEUES)
QUEUES_BY_NAME: Final = {queue.name: queue for queue in QUEUES}

# Cloud Tasks has no dead-letter queue: a task whose body cannot be decoded is published here
# by the executor (shared/transport/cloud_tasks.py) with the reason, then finished, and kept in
# a pull subscription for inspection and replay, as the subscriptions' dead letters are.
TASK_DEAD_LETTER_TOPIC: Final = "tasks-dlq"
TASK_DEAD_LETTER_SUBSCRIPTION: Final = f"{TASK_DEAD_LETTER_TOPIC}--inspect"

# --- Cloud Storage -------------------------------------------------------------------------

TRACES_BUCKET_SUFFIX: Final = "switchyard-traces"
ARTIFACTS_BUCKET_SUFFIX: Final = "switchyard-artifacts"
BUCKET_SUFFIXES: Final = (TRACES_BUCKET_SUFFIX, ARTIFACTS_BUCKET_SUFFIX)


def bucket_name(project_id: str, suffix: str) -> str:
    """Bucket names are global, so each is prefixed with the project id: ``<project>-<suffix>``."""
    return f"{project_id}-{suffix}"


# --- Firestore -----------------------------------------------------------------------------

ORGS: Final = "orgs"
API_KEYS: Final = "api_keys"
AGENTS: Final = "agents"
AGENT_VERSIONS: Final = "versions"  # subcollection of agents/{id}
RUNS: Final = "runs"
RUN_STEPS: Final = "steps"  # subcollection of runs/{id}
RUN_EVENTS: Final = "events"  # subcollection of runs/{id}
RUN_TOOL_CALLS: Final = "tool_calls"  # subcollection of runs/{id}: one result per tool call
RUN_DELIVERIES: Final = "deliveries"  # subcollection of runs/{id}: one outcome per target
RUN_LEASES: Final = "leases"  # subcollection of runs/{id}: who is doing one piece of work
EVAL_RESULTS: Final = "eval_results"
AUDIT_LOGS: Final = "audit_logs"
AUDIT_EVENTS: Final = "audit_events"  # changes made through the API (GET /v1/audit-events)
IDEMPOTENCY_KEYS: Final = "idempotency_keys"
WEBHOOK_RECEIPTS: Final = "webhook_receipts"
CREDENTIALS: Final = "credentials"
WEBHOOK_TRIGGERS: Final = "webhook_triggers"  # one per webhook agent: POST /v1/hooks/{id}
EVENT_SUBSCRIPTIONS: Final = "event_subscriptions"  # one per event agent, by its agent id
CRON_STATES: Final = "cron_states"  # one per cron agent, by its agent id: the last tick
EVENT_RECEIPTS: Final = "event_receipts"  # one per (chained agent, source run)
MEMBERSHIPS: Final = "memberships"  # one per (organisation, Firebase uid): the role

COLLECTIONS: Final = (
    ORGS,
    API_KEYS,
    AGENTS,
    AGENT_VERSIONS,
    RUNS,
    RUN_STEPS,
    RUN_EVENTS,
    RUN_TOOL_CALLS,
    RUN_DELIVERIES,
    RUN_LEASES,
    EVAL_RESULTS,
    AUDIT_LOGS,
    AUDIT_EVENTS,
    IDEMPOTENCY_KEYS,
    WEBHOOK_RECEIPTS,
    CREDENTIALS,
    WEBHOOK_TRIGGERS,
    EVENT_SUBSCRIPTIONS,
    CRON_STATES,
    EVENT_RECEIPTS,
    MEMBERSHIPS,
)

# --- Secret Manager ------------------------------------------------------------------------

API_KEY_PEPPER_SECRET: Final = "api-key-pepper"
PLATFORM_SECRETS: Final = (API_KEY_PEPPER_SECRET,)


def webhook_signing_secret_id(org_id: str) -> str:
    """Secret id of an organisation's Standard Webhooks signing secret (one per organisation)."""
    return f"org-{org_id}-webhook-signing"


def webhook_trigger_secret_id(trigger_id: str) -> str:
    """Secret id of a webhook trigger's signing keys (the current one and those in grace)."""
    return f"trigger-{trigger_id}-signing"


def credential_secret_id(credential_id: str) -> str:
    """Secret id of an integration credential's value(s) (JSON; only the executor reads it)."""
    return f"credential-{credential_id}"


# --- Cloud Scheduler -----------------------------------------------------------------------


# The platform's own job: every minute (UTC) it publishes a SweepTick on SWEEP_REQUESTED.
SWEEP_JOB_ID: Final = "sweep-stalled-runs"
SWEEP_SCHEDULE: Final = "* * * * *"
SWEEP_TIME_ZONE: Final = "Etc/UTC"


def scheduler_job_id(agent_id: str) -> str:
    """Cloud Scheduler job id of a cron agent: one job per agent, in ``settings.region``."""
    return f"agent-{agent_id}"
