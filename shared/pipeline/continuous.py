"""Continuous evals: monitoring of delivered runs, on a sampled share of them.

An eval with ``stage: continuous`` scores the output of a run once it is delivered, on
``sample_rate`` of the runs. The sample is decided from a hash of the run id and the eval's
name, so a redelivery decides the same and the share is stable across processes; each eval
samples on its own. Verdicts are stored with the run (:mod:`shared.pipeline.eval_records`) and
appended to its log as a ``run.evaluated`` event; they decide nothing, the output is already
out. They are best effort: a grader outage loses the sample (logged) rather than redelivering a
delivered run's message.
"""

from __future__ import annotations

import hashlib
import logging

from shared.composition import Dependencies
from shared.domain.runs import Run
from shared.domain.spec import AgentSpec, EvalStage
from shared.errors import TransientError
from shared.evals.gate import EvalResult, evaluate
from shared.pipeline.eval_context import eval_context
from shared.pipeline.eval_records import record_verdicts

logger = logging.getLogger(__name__)

EVALUATED_EVENT = "run.evaluated"
_SCALE = 2**64


def sampled(run_id: str, eval_name: str, rate: float) -> bool:
    """Whether the continuous eval ``eval_name`` scores run ``run_id``, at ``rate`` (0 to 1].

    The first 8 bytes of SHA-256 of run id and name, read as a fraction of 2^64, below
    ``rate``: uniform over random run ids, and always the same answer for one run.
    """
    digest = hashlib.sha256(f"{run_id}\n{eval_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE < rate


def evaluate_delivered(deps: Dependencies, run: Run, spec: AgentSpec) -> list[EvalResult]:
    """Run the sampled continuous evals of a delivered ``run`` not yet recorded for it.

    Args:
        deps: Dependencies.
        run: The run, just delivered.
        spec: Its agent version's spec.

    Returns:
        The verdicts stored (empty when nothing was sampled, already done, or the grader was
        unavailable).
    """
    chosen = [
        e for e in spec.evals_at(EvalStage.CONTINUOUS) if sampled(run.run_id, e.name, e.sample_rate)
    ]
    if not chosen:
        return []
    done = {
        r.name for r in deps.eval_results.list_run_results(run.run_id) if r.stage == "continuous"
    }
    chosen = [e for e in chosen if e.name not in done]
    if not chosen:
        return []
    try:
        context = eval_context(deps, run, spec)
        results = [evaluate(e, run.output or "", context) for e in chosen]
        record_verdicts(deps, run, results)
        deps.runs.append_event(
            run.run_id, EVALUATED_EVENT, {"evals": [r.model_dump(mode="json") for r in results]}
        )
    except TransientError as error:
        logger.warning("continuous evals of run %s skipped: %s", run.run_id, error.message)
        return []
    return results
