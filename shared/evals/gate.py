"""Evals as gates: score an eval's assertions and decide pass or fail (promptfoo's rules).

An eval's score is the weighted mean of its assertions' scores over those with weight > 0
(weight 0 measures without gating). With a ``threshold`` the eval passes when the score reaches
it; without one, every gating assertion must pass.
"""

from __future__ import annotations

from shared.domain.base import Model
from shared.domain.spec import EvalSpec, FailureAction
from shared.evals.assertions import AssertionResult, run_assertion


class EvalResult(Model):
    """An eval's verdict.

    Attributes:
        name: The eval's name.
        stage: ``pre_flight`` or ``post_generation``.
        passed: Whether the gate passed.
        score: Weighted score, 0 to 1.
        severity: Severity on failure, from the spec.
        action: Action on failure, from the spec.
        assertions: Per-assertion detail.
    """

    name: str
    stage: str
    passed: bool
    score: float
    severity: str
    action: FailureAction
    assertions: tuple[AssertionResult, ...]

    @property
    def blocks(self) -> bool:
        """True when this result stops the run (failed, with ``block_delivery``)."""
        return not self.passed and self.action == FailureAction.BLOCK_DELIVERY


def evaluate(spec: EvalSpec, output: str) -> EvalResult:
    """Run every assertion of ``spec`` on ``output`` and score the gate.

    Args:
        spec: The eval.
        output: The text under test (the run's output, or its input as JSON at pre-flight).

    Returns:
        The verdict with per-assertion detail.
    """
    results = tuple(run_assertion(assertion, output) for assertion in spec.assertions)
    gating = [r for r in results if r.weight > 0]
    total = sum(r.weight for r in gating)
    score = sum(r.score * r.weight for r in gating) / total if total else 1.0
    passed = (
        score >= spec.threshold if spec.threshold is not None else all(r.passed for r in gating)
    )
    return EvalResult(
        name=spec.name,
        stage=spec.stage.value,
        passed=passed,
        score=score,
        severity=spec.on_failure.severity,
        action=spec.on_failure.action,
        assertions=results,
    )
