"""Cron intake: a Cloud Scheduler tick arrives on ``run-scheduled`` and may start one run.

Why a topic of its own: the Scheduler publishes a fixed message, with no run in it, and the
pre-flight stage on ``run-requested`` takes runs that exist. The ``cron`` function in between
turns a tick into at most one run, idempotently per scheduled time, after the agent's overlap
and missed-tick policies (:mod:`shared.triggers.cron_policy`).

Which tick: a Pub/Sub message from Cloud Scheduler carries no schedule time, so the tick is the
latest fire time at or before the message's ``publishTime`` (plus ``PUBLISH_SKEW`` for the two
services' clocks). ``publishTime`` is set once, when the Scheduler publishes, and is the same on
every redelivery, so every delivery of a message names the same tick.

The decision is saved in the agent's :class:`~shared.domain.triggers.CronState` by
compare-and-set, with the run id reserved before the run exists; then the run is requested under
that id. Concurrent deliveries of one tick: one saves, the other reads the saved state and finds
the tick seen. A crash after saving: the redelivery finds the tick seen and requests the same
run, which :func:`shared.pipeline.trigger.request_run` creates or finds.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared import resources
from shared.composition import Dependencies
from shared.domain.runs import TriggerKind
from shared.domain.spec import CronTrigger
from shared.domain.triggers import CronState, ScheduledTick
from shared.errors import ConflictError, NotFoundError, TransientError
from shared.pipeline.trigger import new_id, request_run
from shared.triggers.cron_policy import TickAction, TickDecision, decide_tick
from shared.triggers.schedule import latest_fire

PUBLISH_SKEW = timedelta(seconds=5)
# A scheduled run still unfinished after this long no longer holds back later ticks: it is
# stuck (the longest run allowed is one hour, limits.timeout_s).
OVERLAP_HORIZON = timedelta(hours=6)
SAVE_ATTEMPTS = 5

logger = logging.getLogger(__name__)


def _previous_running(deps: Dependencies, state: CronState | None, now: datetime) -> bool:
    if state is None or state.last_run_id is None:
        return False
    try:
        run = deps.runs.get_run(state.last_run_id)
    except NotFoundError:  # reserved, never created: its tick's redelivery creates it
        return False
    return not run.status.terminal and now - run.created_at < OVERLAP_HORIZON


def _decide(
    deps: Dependencies, tick: ScheduledTick, tick_at: datetime, trigger: CronTrigger
) -> TickDecision:
    base = CronState(org_id=tick.org_id, agent_id=tick.agent_id, updated_at=deps.clock())
    for _attempt in range(SAVE_ATTEMPTS):
        now = deps.clock()
        state = deps.triggers.get_cron_state(tick.agent_id)
        running = _previous_running(deps, state, now)
        decision = decide_tick(state, tick_at, now, trigger, running, new_id(), base)
        if decision.action not in (TickAction.RUN, TickAction.QUEUE) or decision.state is None:
            return decision
        waiting = state is not None and state.queued_tick_at == decision.tick_at
        if waiting and decision.action == TickAction.QUEUE:
            return decision  # already the waiting tick: nothing to save
        try:
            saved = deps.triggers.save_cron_state(
                decision.state, expected_revision=state.revision if state else 0
            )
        except ConflictError:
            continue  # another delivery saved first: decide again on what it saved
        return TickDecision(decision.action, decision.tick_at, saved, decision.reason)
    raise TransientError(
        "cron_state_contention", f"the cron state of agent {tick.agent_id} kept changing"
    )


def _delete_leftover_job(deps: Dependencies, agent_id: str) -> None:
    # The agent's sync removes the job; a tick of one that is still there (two saves raced, or
    # the tick was published just before) drops, and the job goes now.
    logger.info("dropping a tick of agent %s: no active cron trigger", agent_id)
    try:
        deps.scheduler.delete_job(resources.scheduler_job_id(agent_id))
    except TransientError as error:
        logger.warning("could not delete the job of agent %s: %s", agent_id, error.message)


def handle_scheduled_tick(
    deps: Dependencies, tick: ScheduledTick, published_at: datetime
) -> TickDecision:
    """Apply the agent's cron policies to one tick and start its run if they say so.

    Args:
        deps: Dependencies.
        tick: The message data the agent's Scheduler job sent.
        published_at: The message's ``publishTime`` (UTC).

    Returns:
        The decision (DROP also when the agent is inactive or no longer a cron agent, whose
        job is then deleted, or when the trigger is paused).

    Raises:
        NotFoundError: No such agent (the message is stale or forged).
        ConflictError: Code ``agent_inactive``, when the agent was deactivated meanwhile.
        TransientError: Code ``previous_run_running`` when the tick is queued (redeliver it
            later), ``cron_state_contention``, or a store or the broker failed.
    """
    agent = deps.agents.get_agent(tick.org_id, tick.agent_id)
    spec = deps.agents.get_version(agent.org_id, agent.agent_id, agent.latest_version).spec
    trigger = spec.trigger
    if not agent.active or not isinstance(trigger, CronTrigger):
        _delete_leftover_job(deps, agent.agent_id)
        return TickDecision(TickAction.DROP, published_at, None, "not_scheduled")
    if trigger.paused:  # a tick published just before the job was paused
        return TickDecision(TickAction.DROP, published_at, None, "paused")
    tick_at = latest_fire(trigger.schedule, trigger.timezone, published_at + PUBLISH_SKEW)
    decision = _decide(deps, tick, tick_at, trigger)
    logger.info(
        "cron tick %s of agent %s: %s (%s)",
        decision.tick_at.isoformat(),
        agent.agent_id,
        decision.action.value,
        decision.reason,
        extra={"json_fields": {"agent_id": agent.agent_id, "tick_action": decision.action.value}},
    )
    if decision.action == TickAction.QUEUE:
        raise TransientError(
            "previous_run_running", "the previous scheduled run is still going; the tick waits"
        )
    if decision.action in (TickAction.RUN, TickAction.REPEAT):
        assert decision.state is not None and decision.state.last_run_id is not None
        scheduled = decision.tick_at.astimezone(ZoneInfo(trigger.timezone))
        run_input = {"scheduled_at": scheduled.isoformat(), "timezone": trigger.timezone}
        request_run(
            deps, agent.org_id, agent.agent_id, run_input, TriggerKind.CRON,
            run_id=decision.state.last_run_id, environment=trigger.environment,
        )  # fmt: skip
    return decision
