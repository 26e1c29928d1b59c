"""Agent-to-agent events: a delivered run starts the agents subscribed to its agent.

An agent with ``trigger: {type: event, source_agent: A, on: [delivered]}`` has an
:class:`~shared.domain.triggers.EventSubscription` to A. The ``chain`` function consumes
``run-finished``; for a delivered run of A it starts one run of each subscriber with A's output
as input::

    {"output": "<A's output>", "source": {"agent_id": A, "run_id": ..., "agent_version": n,
                                          "depth": 1}}

Pub/Sub may deliver ``run-finished`` twice: each (subscriber, source run) pair is an event
receipt (:mod:`shared.triggers.idempotency`), so a duplicate starts nothing.

Loops: :func:`check_event_source` refuses, when a spec is saved, a source whose own chain of
sources leads back to the agent. Two agents saved at the same moment can still close a loop
between them, so a chain also stops at ``MAX_DEPTH`` runs (``source.depth``).
"""

from __future__ import annotations

import logging
from typing import Any

from shared.composition import Dependencies
from shared.domain.runs import Run, RunStatus, TriggerKind
from shared.domain.spec import EventTrigger
from shared.domain.triggers import EventSubscription, ReceiptKind
from shared.errors import ConflictError, NotFoundError, TransientError, ValidationError
from shared.pipeline.trigger import request_run
from shared.triggers.idempotency import fingerprint, run_once

MAX_DEPTH = 16
MAX_SOURCE_HOPS = 100

logger = logging.getLogger(__name__)


def _loop(agent_id: str | None, path: list[str]) -> ValidationError:
    # Read "a ← b": agent a is triggered by agent b's runs.
    chain = " ← ".join([agent_id or "(this agent)", *path])
    message = f"the event trigger would loop: {chain}"
    return ValidationError(
        "trigger_loop",
        message,
        errors=[{"field": "agent.trigger.source_agent", "message": message}],
    )


def check_event_source(
    deps: Dependencies, org_id: str, agent_id: str | None, trigger: EventTrigger
) -> None:
    """Refuse an event trigger whose source is missing or whose chain loops back.

    Args:
        deps: Dependencies.
        org_id: The organisation of both agents.
        agent_id: The agent being saved; None when it is being created (no chain can reach
            an agent that does not exist yet, but it must not name itself either).
        trigger: Its event trigger.

    Raises:
        ValidationError: Code ``unknown_source_agent`` or ``trigger_loop`` (HTTP 422).
        TransientError: A store is unavailable.
    """
    source: str | None = trigger.source_agent
    path: list[str] = []
    while source is not None:
        if source == agent_id or source in path or len(path) >= MAX_SOURCE_HOPS:
            raise _loop(agent_id, [*path, source])
        try:
            agent = deps.agents.get_agent(org_id, source)
        except NotFoundError:
            if not path:
                message = f"no agent {source} in this organisation"
                raise ValidationError(
                    "unknown_source_agent",
                    message,
                    errors=[{"field": "agent.trigger.source_agent", "message": message}],
                ) from None
            return  # a deeper link is gone: the chain ends there
        path.append(source)
        spec = deps.agents.get_version(org_id, source, agent.latest_version).spec
        source = spec.trigger.source_agent if isinstance(spec.trigger, EventTrigger) else None


def _chained_input(run: Run) -> dict[str, Any]:
    upstream = run.input.get("source") if run.trigger == TriggerKind.EVENT else None
    depth = upstream.get("depth", 0) if isinstance(upstream, dict) else 0
    source = {
        "agent_id": run.agent_id,
        "run_id": run.run_id,
        "agent_version": run.agent_version,
        "depth": (depth if isinstance(depth, int) else 0) + 1,
    }
    return {"output": run.output, "source": source}


def _start(deps: Dependencies, run: Run, subscription: EventSubscription) -> None:
    run_input = _chained_input(run)
    if run_input["source"]["depth"] > MAX_DEPTH:
        logger.warning("run %s ends a chain of %d runs: not chaining", run.run_id, MAX_DEPTH)
        return
    target = subscription.agent_id

    def start(run_id: str) -> tuple[int, dict[str, Any]]:
        agent = deps.agents.get_agent(run.org_id, target)
        spec = deps.agents.get_version(run.org_id, target, agent.latest_version).spec
        trigger = spec.trigger
        if not isinstance(trigger, EventTrigger) or trigger.source_agent != run.agent_id:
            return 200, {"skipped": "the agent's trigger changed"}
        started = request_run(
            deps, run.org_id, target, run_input, TriggerKind.EVENT,
            run_id=run_id, environment=trigger.environment,
        )  # fmt: skip
        return 202, {"run_id": started.run_id}

    try:
        outcome = run_once(
            deps, ReceiptKind.EVENT_RECEIPT, target, run.run_id, fingerprint(run.run_id), start
        )
    except (ConflictError, ValidationError, NotFoundError) as refused:
        if refused.code == "idempotency_key_in_flight":
            # A concurrent delivery is starting it: retry, and find it done (or take it over).
            raise TransientError("chain_in_flight", refused.message) from refused
        logger.warning("not chaining run %s to agent %s: %s", run.run_id, target, refused.message)
        return
    logger.info(
        "run %s of agent %s chained to agent %s: %s",
        run.run_id, run.agent_id, target, outcome.body,
    )  # fmt: skip


def handle_run_finished(deps: Dependencies, run_id: str) -> None:
    """Start the subscribers of a delivered run's agent (see the module docstring).

    Args:
        deps: Dependencies.
        run_id: The run named by the ``run-finished`` message.

    Raises:
        NotFoundError: No such run (the message is malformed or stale).
        TransientError: Code ``chain_in_flight`` (a concurrent delivery is starting a
            subscriber's run), or a store or the broker failed; redeliver (subscribers already
            started are not started again).
    """
    run = deps.runs.get_run(run_id)
    if run.status != RunStatus.DELIVERED:
        return
    for subscription in deps.triggers.list_event_subscriptions(run.org_id, run.agent_id):
        _start(deps, run, subscription)
