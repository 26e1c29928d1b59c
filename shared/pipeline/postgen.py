"""Post-generation: the gate between a run's output and the outside world (DESIGN.md §1).

Runs the agent's ``post_generation`` evals on the output, with the run's measurements (tokens,
cost, latency, finish reason, tool calls) and the model as grader. A failed eval whose action is
``block_delivery`` stops the run (``blocked``, ``run-stopped``, the owner is alerted); one whose
action is ``require_approval`` parks it (``awaiting_approval``) until a person approves or
rejects it (:mod:`shared.pipeline.approvals`); ``warn`` and ``log`` failures are recorded with
the verdicts and the run passes (``run-passed``).
"""

from __future__ import annotations

from shared import resources
from shared.composition import Dependencies
from shared.domain.runs import RunStatus
from shared.domain.spec import EvalStage
from shared.evals.gate import evaluate
from shared.pipeline.eval_context import eval_context
from shared.pipeline.eval_records import record_verdicts
from shared.pipeline.lifecycle import advance, load_spec, stop_run
from shared.ports.run_store import Claim

_EXPECTED = {RunStatus.GENERATED}
# A redelivery finds the run in one of these and redoes only the idempotent publish.
_REDO = {RunStatus.GENERATED, RunStatus.PASSED, RunStatus.BLOCKED, RunStatus.AWAITING_APPROVAL}


def handle_run_generated(deps: Dependencies, run_id: str) -> Claim | None:
    """Pass or block a generated run.

    Returns:
        The claim, or None when the run is no longer waiting for this gate.

    Raises:
        NotFoundError: No such run.
        TransientError: A dependency (a store, or a model grader) failed; redeliver.
    """
    run = deps.runs.get_run(run_id)
    if run.status not in _REDO:
        return None
    spec = load_spec(deps, run)
    context = eval_context(deps, run, spec)
    results = [
        evaluate(e, run.output or "", context) for e in spec.evals_at(EvalStage.POST_GENERATION)
    ]
    if run.status in _EXPECTED:
        record_verdicts(deps, run, results)
    verdicts = {"evals": [r.model_dump(mode="json") for r in results]}
    blocking = sorted(
        (r for r in results if r.blocks and not r.needs_approval),
        key=lambda r: ("critical", "warning", "info").index(r.severity),
    )
    if blocking:
        reasons = "; ".join(
            f"{r.name} ({r.severity}): "
            + ", ".join(a.reason for a in r.assertions if not a.passed and a.weight > 0)
            for r in blocking
        )
        return stop_run(
            deps, run_id, RunStatus.BLOCKED, expected=_EXPECTED,
            code="eval_failed", message=f"post-generation evals failed: {reasons}",
            event_data=verdicts,
        )  # fmt: skip
    review = [r.name for r in results if r.needs_approval]
    if review:
        return deps.runs.transition(
            run_id,
            RunStatus.AWAITING_APPROVAL,
            expected=_EXPECTED,
            event_data={**verdicts, "awaiting_review_of": review},
        )
    warnings = [r.name for r in results if not r.passed]
    return advance(
        deps,
        run_id,
        RunStatus.PASSED,
        expected=_EXPECTED,
        topic=resources.RUN_PASSED,
        event_data={**verdicts, "warnings": warnings},
    )
