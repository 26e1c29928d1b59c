"""Evals as gates: score an eval's assertions and decide pass or fail (promptfoo's rules).

An eval is a promptfoo test case: its score is the weighted mean of its assertions' scores
(weight 0 measures without gating); with a ``threshold`` it passes when the score reaches it,
without one when every gating assertion passes. ``metric`` names collect weighted mean scores
across the list (``named_scores``), as promptfoo's ``namedScores``.
"""

from __future__ import annotations

from pydantic import Field

from shared.domain.base import Model
from shared.domain.spec import EvalSpec, FailureAction
from shared.evals.assertions import aggregate, run_assertion
from shared.evals.context import EvalContext
from shared.evals.results import AssertionResult

_STOPPING = (FailureAction.BLOCK_DELIVERY, FailureAction.REQUIRE_APPROVAL)


class EvalResult(Model):
    """An eval's verdict.

    Attributes:
        name: The eval's name.
        stage: ``pre_flight``, ``post_generation`` or ``continuous``.
        passed: Whether the gate passed.
        score: Weighted score, 0 to 1.
        reason: Why, for people: the last failing assertion's reason, or the aggregate score
            against the threshold.
        severity: Severity on failure, from the spec.
        action: Action on failure, from the spec.
        named_scores: Weighted mean score per ``metric`` name.
        assertions: Per-assertion detail (grader calls included).
    """

    name: str
    stage: str
    passed: bool
    score: float
    reason: str = ""
    severity: str
    action: FailureAction
    named_scores: dict[str, float] = Field(default_factory=dict)
    assertions: tuple[AssertionResult, ...]

    @property
    def blocks(self) -> bool:
        """True when this result stops delivery: failed with ``block_delivery`` or
        ``require_approval`` (a run awaiting approval is not delivered either; see
        :attr:`needs_approval` to park it instead of blocking it)."""
        return not self.passed and self.action in _STOPPING

    @property
    def needs_approval(self) -> bool:
        """True when a person must approve the output: failed with ``require_approval``."""
        return not self.passed and self.action == FailureAction.REQUIRE_APPROVAL


def named_scores(results: tuple[AssertionResult, ...]) -> dict[str, float]:
    """Weighted mean score per metric name, over the assertions that have one."""
    totals: dict[str, tuple[float, float]] = {}
    for result in results:
        if result.metric:
            score, weight = totals.get(result.metric, (0.0, 0.0))
            totals[result.metric] = (score + result.score * result.weight, weight + result.weight)
    return {name: (s / w if w > 0 else 0.0) for name, (s, w) in totals.items()}


def evaluate(spec: EvalSpec, output: str, context: EvalContext | None = None) -> EvalResult:
    """Run every assertion of ``spec`` on ``output`` and score the gate.

    Args:
        spec: The eval.
        output: The text under test (the run's output, or its input as JSON at pre-flight).
        context: The run's measurements (latency, usage, cost, logprobs, finish reason, tool
            calls) and the grader model client; None when there are none.

    Returns:
        The verdict with per-assertion detail.

    Raises:
        TransientError: A grader model is unavailable; retry the stage.
    """
    results = tuple(run_assertion(assertion, output, context) for assertion in spec.assertions)
    passed, score, reason = aggregate(results, spec.threshold)
    return EvalResult(
        name=spec.name,
        stage=spec.stage.value,
        passed=passed,
        score=score,
        reason=reason,
        severity=spec.on_failure.severity,
        action=spec.on_failure.action,
        named_scores=named_scores(results),
        assertions=results,
    )
