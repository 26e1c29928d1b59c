"""Keep a gate's eval verdicts with the run (:mod:`shared.ports.eval_result_store`).

A gate stores its verdicts before it moves the run, and only while the run still waits for it:
a redelivery that finds the run moved on does not evaluate a second time over the kept verdicts
(a model grader may answer differently), and one that finds it still waiting overwrites the
verdicts of the attempt that failed to move it.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.composition import Dependencies
from shared.domain.eval_results import EvalRecord
from shared.domain.runs import Run
from shared.evals.gate import EvalResult


def record_verdicts(deps: Dependencies, run: Run, results: Sequence[EvalResult]) -> None:
    """Store ``results``, the verdicts of one gate on ``run``, stamped with the current time.

    Raises:
        TransientError: The store is unavailable; the gate is redelivered.
    """
    if results:
        at = deps.clock()
        deps.eval_results.record_results([EvalRecord.of(run, result, at) for result in results])
