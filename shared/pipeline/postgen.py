"""Post-generation: the gate between a run's output and the outside world (DESIGN.md §1).

Runs the agent's ``post_generation`` evals on the output. A failed eval whose action is
``block_delivery`` stops the run (``blocked``, ``run-stopped``, the owner is alerted); ``warn``
and ``log`` failures are recorded with the verdicts and the run passes (``run-passed``).
"""

from __future__ import annotations

from shared import resources
from shared.composition import Dependencies
from shared.domain.runs import RunStatus
from shared.domain.spec import EvalStage
from shared.evals.gate import evaluate
from shared.pipeline.lifecycle import advance, load_spec, stop_run
from shared.ports.run_store import Claim

_EXPECTED = {RunStatus.GENERATED}


def handle_run_generated(deps: Dependencies, run_id: str) -> Claim | None:
    """Pass or block a generated run.

    Returns:
        The claim, or None when the run is no longer waiting for this gate.

    Raises:
        NotFoundError: No such run.
        TransientError: A dependency failed; redeliver.
    """
    run = deps.runs.get_run(run_id)
    if run.status not in (RunStatus.GENERATED, RunStatus.PASSED, RunStatus.BLOCKED):
        return None
    spec = load_spec(deps, run)
    results = [evaluate(e, run.output or "") for e in spec.evals_at(EvalStage.POST_GENERATION)]
    verdicts = {"evals": [r.model_dump(mode="json") for r in results]}
    blocking = sorted(
        (r for r in results if r.blocks),
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
    warnings = [r.name for r in results if not r.passed]
    return advance(
        deps,
        run_id,
        RunStatus.PASSED,
        expected=_EXPECTED,
        topic=resources.RUN_PASSED,
        event_data={**verdicts, "warnings": warnings},
    )
