"""Runs, their states and the transitions between them (DESIGN.md §1, "Run states").

::

    requested ─► approved ─► running ─► generated ─► passed ─► delivered
        │                       │            │   ▲            └► delivery_failed
        └► rejected             └► failed    │   │ approve
                                             ├► awaiting_approval ─► blocked (reject)
                                             └► blocked
    (failed and cancelled are reachable from every non-terminal state)

Every stage moves a run with :func:`can_transition` checked inside a Firestore transaction, so a
duplicate delivery of the same event finds the run already moved and does nothing (or redoes
only its idempotent side effect; see ``ClaimOutcome``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from shared.domain.base import Model
from shared.domain.environments import Environment


class RunStatus(StrEnum):
    """Where a run is in the pipeline."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    RUNNING = "running"
    GENERATED = "generated"
    AWAITING_APPROVAL = "awaiting_approval"
    PASSED = "passed"
    BLOCKED = "blocked"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        """True when the run can move no further."""
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {
        RunStatus.REJECTED,
        RunStatus.BLOCKED,
        RunStatus.DELIVERED,
        RunStatus.DELIVERY_FAILED,
        RunStatus.FAILED,
        RunStatus.CANCELLED,
    }
)

_FORWARD: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.REQUESTED: frozenset({RunStatus.APPROVED, RunStatus.REJECTED}),
    RunStatus.APPROVED: frozenset({RunStatus.RUNNING}),
    RunStatus.RUNNING: frozenset({RunStatus.GENERATED}),
    RunStatus.GENERATED: frozenset(
        {RunStatus.PASSED, RunStatus.BLOCKED, RunStatus.AWAITING_APPROVAL}
    ),
    RunStatus.AWAITING_APPROVAL: frozenset({RunStatus.PASSED, RunStatus.BLOCKED}),
    RunStatus.PASSED: frozenset({RunStatus.DELIVERED, RunStatus.DELIVERY_FAILED}),
}


def can_transition(current: RunStatus, new: RunStatus) -> bool:
    """True when a run in ``current`` may move to ``new``."""
    if current.terminal:
        return False
    if new in (RunStatus.FAILED, RunStatus.CANCELLED):
        return True
    return new in _FORWARD.get(current, frozenset())


class TriggerKind(StrEnum):
    """What started a run."""

    MANUAL = "manual"
    WEBHOOK = "webhook"
    CRON = "cron"
    EVENT = "event"


class Usage(Model):
    """Resources a run has used so far.

    Attributes:
        prompt_tokens: Input tokens over every model step.
        completion_tokens: Output tokens over every model step.
        model_steps: Model steps taken.
        tool_calls: Tool calls made.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_steps: int = 0
    tool_calls: int = 0


class RunError(Model):
    """Why a run failed, stopped or was rejected.

    Attributes:
        code: Stable code, such as ``max_steps_exceeded`` or ``eval_failed``.
        message: Human-readable reason; never contains a secret.
    """

    code: str
    message: str


class Run(Model):
    """One execution of one agent version.

    Attributes:
        run_id: Random id.
        org_id: Owning organisation.
        agent_id: The agent.
        agent_version: The version the run pinned when it was created: the one its
            ``environment`` ran then.
        environment: The environment the run was started in (``dev``, ``staging``, ``prod``);
            None for runs made before environments existed.
        status: Where the run is.
        trigger: What started it.
        input: The run's input object.
        output: The final answer, once generated.
        error: Why the run stopped, for rejected, blocked, failed and delivery_failed runs.
        usage: Tokens, steps and tool calls used.
        artifact_uri: ``gs://`` URI of the delivered output.
        created_at: When the run was requested (UTC).
        started_at: When execution started (UTC), the origin of ``limits.timeout_s``.
        updated_at: Last change (UTC).
        event_count: Events in the run's log; the sequence number of the newest one.
    """

    schema_version: Literal[1] = 1
    run_id: str
    org_id: str
    agent_id: str
    agent_version: int
    environment: Environment | None = None
    status: RunStatus = RunStatus.REQUESTED
    trigger: TriggerKind = TriggerKind.MANUAL
    input: dict[str, Any] = Field(default_factory=dict)
    output: str | None = None
    error: RunError | None = None
    usage: Usage = Usage()
    artifact_uri: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    updated_at: datetime
    event_count: int = 0


class RunEvent(Model):
    """One entry of a run's event log, the source of the SSE stream.

    Attributes:
        seq: 1-based sequence number within the run; the SSE event id.
        type: Dotted event type, such as ``run.approved`` or ``step.completed``.
        at: When it happened (UTC).
        data: Event details.
    """

    seq: int
    type: str
    at: datetime
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        """True for the event that ends the run's stream."""
        return self.type.startswith("run.") and self.type[4:] in {
            s.value for s in TERMINAL_STATUSES
        }
