"""Run one assertion, or one ``assert-set``, with promptfoo 0.123's semantics.

The checkers live by family (see :mod:`shared.evals.registry`); this module applies what
promptfoo applies around every handler (``runAssertion`` and ``AssertionsResult`` in
``src/assertions/index.ts`` and ``assertionsResult.ts``):

- ``not-<type>`` inverts the check (each checker applies it, as each promptfoo handler does,
  because scores invert differently by type).
- ``weight`` (default 1) weighs the score in the enclosing mean; weight 0 measures without
  gating: promptfoo reports such an assertion as passed, here ``passed`` keeps the measured
  verdict and the gate ignores it.
- An ``assert-set`` scores its assertions like an eval does (weighted mean, its own
  ``threshold``) and counts as one assertion with its own ``weight`` and ``metric``.
- A measurement the context lacks (latency, logprobs, a grader) fails the assertion with a
  reason; promptfoo raises an error there.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.domain.spec import Assertion
from shared.evals.context import EvalContext
from shared.evals.registry import REGISTRY
from shared.evals.results import (
    AssertionResult,
    AssertionValueError,
    Check,
    MissingMeasurementError,
    Outcome,
)

__all__ = ["AssertionResult", "aggregate", "run_assertion"]

_EMPTY_CONTEXT = EvalContext()


def run_assertion(
    assertion: Assertion, output: str, context: EvalContext | None = None
) -> AssertionResult:
    """Check one assertion (or ``assert-set``) against ``output``.

    Args:
        assertion: The assertion, validated by the spec.
        output: The text under test, untrimmed.
        context: The run's measurements and grader; None when there are none.

    Returns:
        The verdict.

    Raises:
        TransientError: A grader model is unavailable; retry later.
    """
    context = context or _EMPTY_CONTEXT
    if assertion.type == "assert-set":
        children = tuple(
            run_assertion(child, output, context) for child in assertion.assertions or ()
        )
        passed, score, reason = aggregate(children, assertion.threshold)
        return AssertionResult(
            type=assertion.type,
            passed=passed,
            score=score,
            weight=assertion.weight,
            metric=assertion.metric,
            reason=reason,
            assertions=children,
        )
    base = assertion.type.removeprefix("not-")
    check = Check(assertion, base, assertion.type != base, output, context)
    try:
        outcome = REGISTRY[base].check(check)
    except (MissingMeasurementError, AssertionValueError) as error:
        outcome = Outcome(False, 0.0, str(error))
    return AssertionResult(
        type=assertion.type,
        passed=outcome.passed,
        score=outcome.score,
        weight=assertion.weight,
        metric=assertion.metric,
        reason=outcome.reason,
        grader=outcome.grader,
    )


def aggregate(
    results: Sequence[AssertionResult], threshold: float | None
) -> tuple[bool, float, str]:
    """promptfoo's ``AssertionsResult.testResult``: (passed, score, reason).

    The score is the weighted mean of the scores (0 when every weight is 0). With a
    threshold the list passes when the score reaches it; without one, when no assertion of
    weight above 0 failed (the reason is then the last failure's).
    """
    total_weight = sum(r.weight for r in results)
    score = sum(r.score * r.weight for r in results) / total_weight if total_weight > 0 else 0.0
    failures = [r for r in results if r.gates and not r.passed]
    passed = not failures
    reason = failures[-1].reason if failures else "All assertions passed"
    if threshold is not None:
        passed = score >= threshold
        reason = f"Aggregate score {score:.2f} {'≥' if passed else '<'} {_js(threshold)} threshold"
    return passed, score, reason


def _js(value: float) -> str:
    from shared.evals._js import js_number

    return js_number(value)
