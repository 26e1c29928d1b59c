"""What the stores do to runs, agents and organisations, whatever they keep them in.

Both implementations of :class:`~shared.ports.run_store.RunStore` and
:class:`~shared.ports.agent_store.AgentStore` decide with these functions; they differ only in
how they read and write (the Firestore adapters inside a transaction, the twins under a lock),
so the twin cannot drift from the adapter in what a transition, a step or a version does.

Every change to a run appends one event: the run's ``event_count`` is the sequence number of its
newest event, so the event and the count are written together, in one transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pydantic

from shared.domain.agents import Agent, AgentVersion
from shared.domain.deliveries import DeliveryResult
from shared.domain.environments import (
    NEW_VERSION_ENVIRONMENT,
    Environment,
    initial_environments,
    moved,
)
from shared.domain.runs import Run, RunEvent, RunStatus, can_transition
from shared.domain.spec import AgentSpec
from shared.domain.steps import ModelStep, ToolCallResult
from shared.errors import ConflictError, NotFoundError, ValidationError
from shared.ports.run_store import ClaimOutcome

# Set by the store itself; a transition's ``updates`` may not touch them.
STORE_OWNED_RUN_FIELDS = frozenset(
    {"schema_version", "run_id", "org_id", "status", "created_at", "updated_at", "event_count"}
)


@dataclass(frozen=True)
class RunChange:
    """A run as it is to be stored, and the event that records the change.

    Attributes:
        run: The run after the change; ``run.event_count == event.seq``.
        event: The event to append to the run's log.
    """

    run: Run
    event: RunEvent


def run_not_found(run_id: str) -> NotFoundError:
    """The error for a run that does not exist (or belongs to another organisation)."""
    return NotFoundError("run_not_found", f"no run {run_id}")


def agent_not_found(agent_id: str) -> NotFoundError:
    """The error for an agent that does not exist in the caller's organisation."""
    return NotFoundError("agent_not_found", f"no agent {agent_id}")


def version_not_found(agent_id: str, version: int) -> NotFoundError:
    """The error for a version that does not exist in the caller's organisation."""
    return NotFoundError("agent_version_not_found", f"agent {agent_id} has no version {version}")


def agent_name_taken(name: str) -> ConflictError:
    """The error for a second agent of the same name in one organisation."""
    return ConflictError("agent_name_taken", f"the organisation has an agent named {name!r}")


def org_not_found(org_id: str) -> NotFoundError:
    """The error for an organisation that does not exist."""
    return NotFoundError("org_not_found", f"no organisation {org_id}")


def api_key_exists(key_id: str) -> ConflictError:
    """The error for a second API key record with one public id."""
    return ConflictError("api_key_exists", f"an API key {key_id} exists")


def api_key_not_found(key_id: str) -> NotFoundError:
    """The error for an API key record that does not exist."""
    return NotFoundError("api_key_not_found", f"API key {key_id} not found")


def first_event(run: Run) -> RunChange:
    """A new run as stored: its log starts with ``run.<status>`` (``run.requested``).

    Timestamps are stored in UTC (naive ones taken as UTC, as Firestore takes them), so that
    every store orders, pages and returns runs alike.
    """
    run = run.model_copy(
        update={
            "event_count": 1,
            "created_at": _utc(run.created_at),
            "updated_at": _utc(run.updated_at),
            "started_at": run.started_at and _utc(run.started_at),
        },
        deep=True,
    )
    event = RunEvent(
        seq=1,
        type=f"run.{run.status}",
        at=run.created_at,
        data={
            "agent_id": run.agent_id,
            "agent_version": run.agent_version,
            "trigger": run.trigger.value,
        },
    )
    return RunChange(run, event)


def add_event(
    run: Run, event_type: str, data: Mapping[str, Any], now: datetime, **fields: Any
) -> RunChange:
    """``run`` with ``fields`` set and its next event, of ``event_type`` with ``data``.

    Raises:
        ValidationError: Code ``invalid_run_update``: a field value does not fit the Run model.
    """
    seq = run.event_count + 1
    try:
        changed = Run.model_validate(
            {**run.model_dump(), **fields, "event_count": seq, "updated_at": now}
        )
    except pydantic.ValidationError as error:
        raise _invalid_update(
            [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in error.errors()]
        ) from None
    return RunChange(changed, RunEvent(seq=seq, type=event_type, at=now, data=dict(data)))


def check_run_updates(updates: Mapping[str, Any]) -> None:
    """Refuse transition updates that name no Run field, or a field only the store sets.

    Raises:
        ValidationError: Code ``invalid_run_update``.
    """
    refused = sorted(set(updates) - (set(Run.model_fields) - STORE_OWNED_RUN_FIELDS))
    if refused:
        raise _invalid_update([{"field": name, "message": "cannot be updated"} for name in refused])


def decide_transition(
    run: Run,
    new: RunStatus,
    expected: Collection[RunStatus],
    updates: Mapping[str, Any],
    event_data: Mapping[str, Any] | None,
    now: datetime,
) -> tuple[ClaimOutcome, RunChange | None]:
    """What :meth:`RunStore.transition` does to ``run``; the change is None unless CLAIMED.

    Raises:
        ValidationError: Code ``invalid_run_update``.
    """
    # A lone status is a str, and so a Collection of characters: "requested" in "requested".
    allowed = {expected} if isinstance(expected, str) else set(expected)
    if run.status == new:
        return ClaimOutcome.ALREADY, None
    if run.status not in allowed or not can_transition(run.status, new):
        return ClaimOutcome.SKIPPED, None
    change = add_event(run, f"run.{new}", event_data or {}, now, status=new, **updates)
    return ClaimOutcome.CLAIMED, change


def step_recorded(run: Run, step: ModelStep, now: datetime) -> RunChange:
    """``run`` after its first store of ``step``: tokens counted, ``step.completed`` appended."""
    usage = run.usage.model_copy(
        update={
            "prompt_tokens": run.usage.prompt_tokens + step.prompt_tokens,
            "completion_tokens": run.usage.completion_tokens + step.completion_tokens,
            "model_steps": run.usage.model_steps + 1,
        }
    )
    data = {
        "step": step.step,
        "function_calls": len(step.function_calls),
        "prompt_tokens": step.prompt_tokens,
        "completion_tokens": step.completion_tokens,
    }
    return add_event(run, "step.completed", data, now, usage=usage)


def tool_result_recorded(run: Run, result: ToolCallResult, now: datetime) -> RunChange:
    """``run`` after its first store of ``result``: counted, ``tool_call.completed`` appended."""
    usage = run.usage.model_copy(update={"tool_calls": run.usage.tool_calls + 1})
    data = {
        "step": result.step,
        "call_index": result.call_index,
        "name": result.name,
        "status": result.status.value,
    }
    return add_event(run, "tool_call.completed", data, now, usage=usage)


def delivery_recorded(run: Run, result: DeliveryResult, now: datetime) -> RunChange:
    """``run`` after its first store of ``result``: ``delivery.completed`` appended."""
    data = {
        "target_index": result.target_index,
        "succeeded": result.succeeded,
        "status_code": result.status_code,
    }
    return add_event(run, "delivery.completed", data, now)


def new_agent(
    agent_id: str, org_id: str, spec: AgentSpec, now: datetime, actor: str
) -> tuple[Agent, AgentVersion]:
    """A new agent named after ``spec``, ``spec`` as its version 1, in every environment."""
    agent = Agent(
        agent_id=agent_id,
        org_id=org_id,
        name=spec.name,
        latest_version=1,
        created_at=now,
        updated_at=now,
        environments=initial_environments(1, now, actor),
    )
    return agent, AgentVersion(
        agent_id=agent_id, org_id=org_id, version=1, spec=spec, created_at=now
    )


def next_version(
    agent: Agent, spec: AgentSpec, now: datetime, actor: str
) -> tuple[Agent, AgentVersion]:
    """``agent`` with ``spec`` as its next version (``dev`` moved to it), and that version.

    Raises:
        ValidationError: Code ``agent_name_mismatch``: ``spec.name`` is not the agent's name.
    """
    if spec.name != agent.name:
        raise ValidationError(
            "agent_name_mismatch",
            f"the spec names {spec.name!r} but the agent is {agent.name!r}",
            errors=[{"field": "agent.name", "message": f"must be {agent.name!r}"}],
        )
    number = agent.latest_version + 1
    environments = moved(agent.environment_pointers(), NEW_VERSION_ENVIRONMENT, number, now, actor)
    updated = agent.model_copy(
        update={"latest_version": number, "updated_at": now, "environments": environments}
    )
    version = AgentVersion(
        agent_id=agent.agent_id, org_id=agent.org_id, version=number, spec=spec, created_at=now
    )
    return updated, version


def with_active(agent: Agent, active: bool, now: datetime) -> Agent:
    """``agent`` activated or deactivated; unchanged when it already is."""
    if agent.active == active:
        return agent
    return agent.model_copy(update={"active": active, "updated_at": now})


def with_environment(
    agent: Agent,
    environment: Environment,
    version: int,
    now: datetime,
    actor: str,
    expected_version: int | None,
) -> Agent:
    """``agent`` with ``environment`` at ``version``: a compare-and-set of its pointer.

    Raises:
        NotFoundError: Code ``agent_version_not_found``: the agent has no such version.
        ConflictError: Code ``environment_changed``: ``expected_version`` is given and the
            environment runs another version now (someone moved it meanwhile).
    """
    if not 1 <= version <= agent.latest_version:
        raise version_not_found(agent.agent_id, version)
    current = agent.version_in(environment)
    if expected_version is not None and current != expected_version:
        raise ConflictError(
            "environment_changed",
            f"{environment} of agent {agent.agent_id} moved to version {current} meanwhile; "
            "read it again and retry",
        )
    environments = moved(agent.environment_pointers(), environment, version, now, actor)
    return agent.model_copy(update={"environments": environments})


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _invalid_update(errors: list[dict[str, str]]) -> ValidationError:
    fields = ", ".join(error["field"] for error in errors)
    return ValidationError("invalid_run_update", f"invalid run update: {fields}", errors=errors)
