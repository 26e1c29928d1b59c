"""What the triggers keep: webhook endpoints, event subscriptions, cron state, idempotency records.

::

    webhook_triggers/{trigger_id}       WebhookEndpoint: the URL's id, its agent, its preset
    event_subscriptions/{agent_id}      EventSubscription: this agent runs when source_agent's do
    cron_states/{agent_id}              CronState: the last tick that started a run, a queued one
    idempotency_keys, webhook_receipts, event_receipts
                                        IdempotencyRecord: one effect per key (see below)

An :class:`IdempotencyRecord` makes one request, delivery or event start at most one run: the
first caller stores it *in flight* with a run id reserved for the effect, does the effect, then
stores the response; a duplicate finds the record and replays the response (or learns that the
first is still in flight). Records expire: 24 hours for ``Idempotency-Key`` (the IETF draft's
suggestion), seven days for webhook and event receipts (senders retry for days).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from shared.domain.base import Model

WebhookPreset = Literal["standard", "github", "stripe", "slack"]


class WebhookEndpoint(Model):
    """The receiving end of a webhook trigger: ``POST /v1/hooks/{trigger_id}``.

    Attributes:
        trigger_id: Random id, the last part of the URL.
        org_id: Owning organisation.
        agent_id: The agent it starts.
        preset: How senders sign (copied from the spec, so verification needs no spec read).
        secret_id: Secret Manager id of its :class:`SigningKeyring`.
        enabled: False while the agent is inactive or its trigger is not a webhook; the URL
            then answers 404, and enabling it again keeps URL and secret.
        created_at: When created (UTC).
        updated_at: Last change (UTC).
    """

    schema_version: Literal[1] = 1
    trigger_id: str
    org_id: str
    agent_id: str
    preset: WebhookPreset = "standard"
    secret_id: str
    enabled: bool = True
    created_at: datetime
    updated_at: datetime


class SigningKey(Model):
    """One signing secret of a webhook trigger.

    Attributes:
        secret: The secret as senders know it (``whsec_...`` for generated ones).
        created_at: When it was added (UTC).
        expires_at: End of its grace period after a rotation (UTC); None for the current one.
    """

    secret: str
    created_at: datetime
    expires_at: datetime | None = None


class SigningKeyring(Model):
    """A webhook trigger's secrets, stored as one Secret Manager version (JSON).

    Attributes:
        keys: The current secret first, then older ones still inside their grace period.
    """

    schema_version: Literal[1] = 1
    keys: tuple[SigningKey, ...] = Field(min_length=1)

    def valid_at(self, now: datetime) -> tuple[str, ...]:
        """The secrets a signature may be made with at ``now``."""
        return tuple(k.secret for k in self.keys if k.expires_at is None or k.expires_at > now)


class EventSubscription(Model):
    """An agent that runs when another agent's run is delivered.

    Attributes:
        org_id: Organisation of both agents.
        agent_id: The agent that runs (the subscriber; also the document id).
        source_agent_id: The agent whose delivered runs start it.
        updated_at: Last change (UTC).
    """

    schema_version: Literal[1] = 1
    org_id: str
    agent_id: str
    source_agent_id: str
    updated_at: datetime


class CronState(Model):
    """What the cron intake remembers of one agent's schedule (changed by compare-and-set).

    Attributes:
        org_id: Owning organisation.
        agent_id: The cron agent (also the document id).
        revision: Bumped by every save; a save names the revision it read.
        last_tick_at: The latest scheduled time that started a run (UTC), or None.
        last_run_id: The run that tick started (its id is reserved before the run exists).
        queued_tick_at: A tick waiting for the previous run to end (``overlap: queue``).
        updated_at: Last change (UTC).
    """

    schema_version: Literal[1] = 1
    org_id: str
    agent_id: str
    revision: int = 0
    last_tick_at: datetime | None = None
    last_run_id: str | None = None
    queued_tick_at: datetime | None = None
    updated_at: datetime


class ScheduledTick(Model):
    """The data of a ``run-scheduled`` message, as the agent's Cloud Scheduler job sends it.

    Attributes:
        org_id: Owning organisation.
        agent_id: The cron agent.
        agent_version: The version the job was last synced for (informational: the tick runs
            the agent's latest version, whose trigger must still be this cron).
    """

    schema_version: Literal[1] = 1
    org_id: str
    agent_id: str
    agent_version: int = Field(ge=1)


class ScheduledJob(Model):
    """A Cloud Scheduler job that publishes a message on a schedule.

    Attributes:
        job_id: Job id (``agent-<agent_id>``), unique in the project's region.
        schedule: Five-field unix-cron expression.
        time_zone: IANA time zone the schedule is read in.
        topic: Topic id the job publishes to.
        data: Message data (JSON text).
        attributes: Message attributes.
        description: Shown in the Cloud console.
        paused: Whether the job is paused.
        next_run_at: When it fires next (UTC); None while paused. Read-only.
    """

    job_id: str
    schedule: str
    time_zone: str
    topic: str
    data: str
    attributes: dict[str, str] = Field(default_factory=dict)
    description: str = ""
    paused: bool = False
    next_run_at: datetime | None = None


class ReceiptKind(StrEnum):
    """What an idempotency record dedupes, and so its collection and lifetime."""

    IDEMPOTENCY_KEY = "idempotency_key"
    WEBHOOK_RECEIPT = "webhook_receipt"
    EVENT_RECEIPT = "event_receipt"

    @property
    def retention(self) -> timedelta:
        """How long a record is kept."""
        return timedelta(hours=24) if self is ReceiptKind.IDEMPOTENCY_KEY else timedelta(days=7)


class RecordState(StrEnum):
    """Whether the effect behind an idempotency record is done."""

    IN_FLIGHT = "in_flight"
    COMPLETED = "completed"


class IdempotencyRecord(Model):
    """One key's claim on one effect, and the response to replay.

    Attributes:
        kind: What it dedupes.
        scope: Whose key it is: the organisation (``Idempotency-Key``), the webhook trigger
            (delivery ids), or the subscribed agent (source run ids).
        key: The key: the client's ``Idempotency-Key``, a delivery id, a source run id.
        fingerprint: Digest of the request; the same key with another fingerprint is refused.
        run_id: The id reserved for the run the effect creates, so a retry creates the same run.
        state: In flight or completed.
        response_status: HTTP status of the stored response, once completed.
        response: The stored response body, once completed.
        created_at: When first stored (UTC).
        locked_until: An in-flight record whose holder has not finished by then (UTC) may be
            taken over by a retry with the same fingerprint (the holder crashed).
        expires_at: After this (UTC) the record counts as absent and the key is free again.
    """

    schema_version: Literal[1] = 1
    kind: ReceiptKind
    scope: str
    key: str
    fingerprint: str
    run_id: str
    state: RecordState = RecordState.IN_FLIGHT
    response_status: int | None = None
    response: dict[str, Any] | None = None
    created_at: datetime
    locked_until: datetime
    expires_at: datetime


class TriggerInfo(Model):
    """What the API shows of an agent's trigger (``GET /v1/agents/{id}``: ``trigger``).

    Attributes:
        type: ``manual``, ``webhook``, ``cron`` or ``event``.
        trigger_id: Webhook: the id in ``POST /v1/hooks/{trigger_id}``.
        path: Webhook: that path.
        preset: Webhook: the signature preset.
        enabled: Webhook: whether the URL takes requests (false while the agent is inactive).
        signing_secret: Webhook: the signing secret, only in the response that made it (agent
            creation, rotation); never stored anywhere but Secret Manager.
        schedule: Cron: the unix-cron expression.
        timezone: Cron: its time zone.
        paused: Cron: whether the job is paused.
        next_run_at: Cron: the next scheduled time (UTC); None while paused or inactive.
        source_agent: Event: the agent whose delivered runs start this one.
    """

    type: Literal["manual", "webhook", "cron", "event"]
    trigger_id: str | None = None
    path: str | None = None
    preset: WebhookPreset | None = None
    enabled: bool | None = None
    signing_secret: str | None = None
    schedule: str | None = None
    timezone: str | None = None
    paused: bool | None = None
    next_run_at: datetime | None = None
    source_agent: str | None = None
