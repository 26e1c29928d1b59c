"""The sweeper: runs that stopped moving are moved again, or failed once past their time limit.

Every stage is driven by a message or a task delivered at least once, so a run moves on as long
as its message or task is retried. Both can still be lost. Pub/Sub dead-letters a message after
``max_delivery_attempts`` failed pushes (a stage down for a few minutes), and the local Pub/Sub
emulator stops redelivering pushes refused by a crashed consumer (tests/faults/test_crashes.py
found 100 runs stranded in ``requested`` that way). A run whose message is lost waits forever.

So, run periodically, :func:`sweep` lists the runs not updated for ``stalled_after_s`` seconds:

- ``requested``, ``approved``, ``running``, ``generated`` past their ``limits.timeout_s`` (from
  ``started_at``, else ``created_at``) by more than ``stalled_after_s`` → ``failed`` with code
  ``timeout`` and the status they were found in (the owner is alerted, as for every stop).
- otherwise ``requested``, ``approved``, ``generated`` and ``passed`` → their status's topic is
  published again. Each stage claims its move (``lifecycle.advance``), so a run that was merely
  slow gets a duplicate, which the claim absorbs; ``passed`` re-enqueues its deliveries under
  the same task ids, which Cloud Tasks refuses while the first ones live.
- otherwise ``running`` → the work it waits for (the next model step, or the last step's tool
  calls without a result) is enqueued again under task ids tagged with the sweep's minute
  (:func:`resume_execution`): its task may be gone for good, as
  when the process running its last attempt was killed (tests/faults/test_crashes.py), and
  Cloud Tasks refuses the original ids for about an hour. Records and leases make a repeat
  harmless. ``awaiting_approval`` waits for a person and is not swept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared import resources
from shared.composition import Dependencies
from shared.domain.messages import ModelStepTask, ToolCallTask
from shared.domain.runs import Run, RunStatus
from shared.errors import NotFoundError, TransientError
from shared.pipeline import execution
from shared.pipeline.announce import announce
from shared.pipeline.lifecycle import load_spec, stop_run
from shared.pipeline.tool_calls import tool_call_task_id
from shared.tools.registry import queue_of

logger = logging.getLogger(__name__)

#: Seconds without an update after which a run is looked at: longer than any stage's retries
#: take to move it (Pub/Sub backoff up to 60 s, the executor's 120 s ack deadline).
STALLED_AFTER_S = 300.0
#: Runs looked at per sweep, least recently updated first; the next sweep takes the rest.
BATCH = 200

REPUBLISHED_ON: dict[RunStatus, str] = {
    RunStatus.REQUESTED: resources.RUN_REQUESTED,
    RunStatus.APPROVED: resources.RUN_APPROVED,
    RunStatus.GENERATED: resources.RUN_GENERATED,
    RunStatus.PASSED: resources.RUN_PASSED,
}
TIMED = frozenset({RunStatus.REQUESTED, RunStatus.APPROVED, RunStatus.RUNNING, RunStatus.GENERATED})


@dataclass
class SweepReport:
    """What one sweep did.

    Attributes:
        republished: Runs whose status's topic was published again.
        resumed: Running runs whose awaited work was enqueued again.
        failed: Runs failed past their time limit.
        errors: Runs left for the next sweep, with the error that stopped this one.
    """

    republished: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def sweep(
    deps: Dependencies, stalled_after_s: float = STALLED_AFTER_S, limit: int = BATCH
) -> SweepReport:
    """Move again, or fail, the runs not updated for ``stalled_after_s`` seconds.

    Args:
        deps: Dependencies.
        stalled_after_s: Seconds without an update before a run counts as stalled.
        limit: Most runs looked at.

    Returns:
        What was done; a run that could not be handled (a store or the broker failing) is in
        ``errors`` and is looked at again by the next sweep.

    Raises:
        TransientError: The run store could not be queried.
    """
    now = deps.clock()
    cutoff = now - timedelta(seconds=stalled_after_s)
    report = SweepReport()
    for run in deps.runs.list_stalled({*REPUBLISHED_ON, *TIMED}, cutoff, limit):
        try:
            _sweep_one(deps, run, now, stalled_after_s, report)
        except (TransientError, NotFoundError) as error:
            report.errors[run.run_id] = f"{error.code}: {error.message}"
    if report.republished or report.resumed or report.failed or report.errors:
        logger.warning(
            "sweeper: republished %d stalled runs, resumed %d, failed %d past their time limit,"
            " %d errors",
            len(report.republished),
            len(report.resumed),
            len(report.failed),
            len(report.errors),
            extra={"json_fields": {"failed": report.failed, "errors": report.errors}},
        )
    return report


def _sweep_one(
    deps: Dependencies, run: Run, now: datetime, stalled_after_s: float, report: SweepReport
) -> None:
    if run.status in TIMED:
        limit_s = load_spec(deps, run).limits.timeout_s
        started = run.started_at or run.created_at
        if now > started + timedelta(seconds=limit_s + stalled_after_s):
            message = (
                f"the run exceeded timeout_s={limit_s:g}: it stopped moving in status "
                f"{run.status.value} and the sweeper failed it"
            )
            stop_run(deps, run.run_id, RunStatus.FAILED, expected={run.status},
                     code="timeout", message=message)  # fmt: skip
            report.failed.append(run.run_id)
            return
    topic = REPUBLISHED_ON.get(run.status)
    if topic is not None:
        announce(deps, topic, run)
        report.republished.append(run.run_id)
    elif run.status is RunStatus.RUNNING:
        resume_execution(deps, run.run_id, f"resume-{int(now.timestamp()) // 60}")
        report.resumed.append(run.run_id)


def resume_execution(deps: Dependencies, run_id: str, tag: str) -> str | None:
    """Enqueue again the work a running run waits for, under task ids ending in ``-<tag>``.

    A task can be lost for good, as when the process running its last attempt is killed, and
    Cloud Tasks refuses its original id for about an hour. The work is the next model step, or
    the tool calls of the last step that have no result; doing it twice is harmless (stored
    records and leases, as for duplicates).

    Args:
        deps: Dependencies.
        run_id: The run.
        tag: Makes the task ids new; the same tag for the same stall enqueues once.

    Returns:
        The task ids enqueued (joined by ``,``), or None when the run is not running.

    Raises:
        NotFoundError: No such run.
        TransientError: A store or the queue failed.
    """
    run = deps.runs.get_run(run_id)
    if run.status != RunStatus.RUNNING:
        return None
    steps = deps.runs.list_steps(run_id)
    suffix = f"-{tag}"
    if not steps:
        _enqueue_step_again(deps, run_id, 0, suffix)
        return execution.model_step_task_id(run_id, 0) + suffix
    last = steps[-1]
    done = {r.call_index for r in deps.runs.list_tool_results(run_id, last.step)}
    missing = [call for call in last.function_calls if call.call_index not in done]
    if not missing:
        following = last.step + 1 if last.function_calls else last.step
        _enqueue_step_again(deps, run_id, following, suffix)
        return execution.model_step_task_id(run_id, following) + suffix
    enqueued = []
    for call in missing:  # only granted calls lack a result: a refused one has its own
        task_id = tool_call_task_id(run_id, last.step, call.call_index) + suffix
        deps.tasks.enqueue(
            queue_of(call.name),
            execution.TOOL_CALL_PATH,
            ToolCallTask(run_id=run_id, step=last.step, call_index=call.call_index),
            task_id=task_id,
        )
        enqueued.append(task_id)
    return ",".join(enqueued)


def _enqueue_step_again(deps: Dependencies, run_id: str, step: int, suffix: str) -> None:
    deps.tasks.enqueue(
        resources.MODEL_STEPS_QUEUE.name,
        execution.MODEL_STEP_PATH,
        ModelStepTask(run_id=run_id, step=step),
        task_id=execution.model_step_task_id(run_id, step) + suffix,
    )
