"""What a scheduled tick does: the overlap and missed-tick policies, as a pure function.

:func:`decide_tick` sees the agent's :class:`~shared.domain.triggers.CronState`, the tick, the
time, the trigger and whether the previous scheduled run is still going, and returns a
:class:`TickDecision`. :mod:`shared.triggers.cron_intake` reads the inputs, saves the decided
state by compare-and-set (so of two deliveries of one tick only one starts a run) and acts.

The rules, in order:

1. **Missed.** A tick is missed when it arrives after the next tick was due, or more than
   ``MAX_LATENESS`` after its time (Pub/Sub holding a backlog through an outage, say), unless
   it is the tick queued behind a running run. ``missed: skip`` drops it. ``missed: run_once``
   turns it into the latest tick due by now, so every missed tick names the same one and only
   the first of them starts a run.
2. **Seen.** The tick that started the last run is that run again: its run is requested again
   (idempotently: a delivery that died between saving the state and creating the run finishes
   the job). An older tick is dropped.
3. **Overlap**, while the previous scheduled run is still going: ``skip`` drops the tick;
   ``queue`` records it as the one waiting tick (a newer tick replaces it; an older one is
   dropped) and asks for redelivery later; ``allow`` runs it.
4. Otherwise the tick runs: its run id is reserved in the state before the run exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.domain.spec import CronTrigger
from shared.domain.triggers import CronState
from shared.triggers.schedule import latest_fire, next_fire

MAX_LATENESS = timedelta(minutes=10)


class TickAction(StrEnum):
    """What the intake does with a tick."""

    RUN = "run"  # save the state, then request the reserved run
    REPEAT = "repeat"  # the tick already has its run: request it again (idempotent)
    QUEUE = "queue"  # save the state with the tick waiting, then ask for redelivery
    DROP = "drop"  # nothing


@dataclass(frozen=True)
class TickDecision:
    """The decision about one tick.

    Attributes:
        action: What to do.
        tick_at: The tick acted on (for ``run_once`` catch-ups, the latest one due), UTC.
        state: The state to save (RUN, QUEUE), or the stored one.
        reason: Why, for the log: ``on_time``, ``caught_up``, ``missed``, ``superseded``,
            ``overlap``, ``queued``, ``replaced``, ``seen``.
    """

    action: TickAction
    tick_at: datetime
    state: CronState | None
    reason: str


def is_missed(trigger: CronTrigger, tick_at: datetime, now: datetime) -> bool:
    """Whether ``tick_at`` arrives too late at ``now`` (rule 1 of the module docstring)."""
    following = next_fire(trigger.schedule, trigger.timezone, tick_at)
    return now >= following or now - tick_at > MAX_LATENESS


def decide_tick(
    state: CronState | None,
    tick_at: datetime,
    now: datetime,
    trigger: CronTrigger,
    previous_running: bool,
    reserved_run_id: str,
    base: CronState,
) -> TickDecision:
    """Apply the policies to one tick (see the module docstring).

    Args:
        state: The stored state, or None before the first tick.
        tick_at: The tick's scheduled time (UTC).
        now: The current time (UTC).
        trigger: The agent's current cron trigger.
        previous_running: Whether the run of ``state.last_run_id`` is still going.
        reserved_run_id: The id the run gets if this tick starts one.
        base: The state to start from when ``state`` is None (org and agent filled in).

    Returns:
        The decision.
    """
    current = state or base
    queued = current.queued_tick_at is not None and current.queued_tick_at == tick_at
    reason = "queued" if queued else "on_time"
    if not queued and is_missed(trigger, tick_at, now):
        if trigger.missed == "skip":
            return TickDecision(TickAction.DROP, tick_at, state, "missed")
        tick_at, reason = latest_fire(trigger.schedule, trigger.timezone, now), "caught_up"
    last = current.last_tick_at
    if last is not None and tick_at == last:
        return TickDecision(TickAction.REPEAT, tick_at, state, "seen")
    if last is not None and tick_at < last:
        return TickDecision(TickAction.DROP, tick_at, state, "superseded")
    waiting = current.queued_tick_at
    if trigger.overlap == "queue" and waiting is not None and waiting > tick_at:
        return TickDecision(TickAction.DROP, tick_at, state, "replaced")
    if previous_running and trigger.overlap == "skip":
        return TickDecision(TickAction.DROP, tick_at, state, "overlap")
    if previous_running and trigger.overlap == "queue":
        waiting_state = current.model_copy(update={"queued_tick_at": tick_at, "updated_at": now})
        return TickDecision(TickAction.QUEUE, tick_at, waiting_state, "queued")
    ran = current.model_copy(
        update={
            "last_tick_at": tick_at,
            "last_run_id": reserved_run_id,
            "queued_tick_at": None if waiting is None or waiting <= tick_at else waiting,
            "updated_at": now,
        }
    )
    return TickDecision(TickAction.RUN, tick_at, ran, reason)
