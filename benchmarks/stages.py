"""Eval overhead: the share of end-to-end time a run spends in the pre-flight and post-gen stages.

Read from each run's event log (``runs/{id}/events``), whose ``at`` times are written by the
stage that makes each transition: pre-flight is ``run.requested`` → ``run.approved`` and
post-generation ``run.generated`` → ``run.passed``, each including the Pub/Sub hop into the
stage; end to end is ``run.requested`` → ``run.delivered``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from benchmarks.report import Figure
from shared.composition import Dependencies

SECTION = "Eval overhead"
STAGES = {
    "pre-flight": ("run.requested", "run.approved"),
    "post-gen": ("run.generated", "run.passed"),
}
END_TO_END = ("run.requested", "run.delivered")


def stage_seconds(events: Mapping[str, datetime]) -> dict[str, float]:
    """Seconds of each of :data:`STAGES` and of ``end_to_end``, from one run's event times.

    Args:
        events: Event type → when it happened, for one delivered run.

    Raises:
        KeyError: When an event of a stage is missing (the run was not delivered).
    """
    spans = {**STAGES, "end_to_end": END_TO_END}
    return {
        name: (events[end] - events[start]).total_seconds() for name, (start, end) in spans.items()
    }


def overhead_figures(per_run: Iterable[Mapping[str, float]]) -> list[Figure]:
    """Each stage's total time ÷ the total end-to-end time, over the runs, as figures in ms."""
    runs = list(per_run)
    mean_ms = {name: sum(run[name] for run in runs) * 1000 / len(runs) for name in runs[0]}
    return [
        Figure(SECTION, f"{stage} stage (mean per run)", mean_ms[stage], "ms",
               "requested → delivered (mean)", mean_ms["end_to_end"])
        for stage in STAGES
    ]  # fmt: skip


def figures(deps: Dependencies, run_ids: Iterable[str]) -> list[Figure]:
    """:func:`overhead_figures` of the runs ``run_ids``, read back from the run store."""
    per_run = []
    for run_id in run_ids:
        events = {event.type: event.at for event in deps.runs.list_events(run_id, limit=1000)}
        per_run.append(stage_seconds(events))
    return overhead_figures(per_run)
