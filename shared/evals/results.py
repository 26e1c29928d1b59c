"""What the eval engine returns: verdicts as frozen pydantic models, plus the checkers' contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shared.domain.base import Model
from shared.domain.model_io import ModelRequest, ModelResponse

if TYPE_CHECKING:
    from shared.domain.spec import Assertion
    from shared.evals.context import EvalContext


class GraderExchange(Model):
    """One call to a grader model, kept for the run's trace.

    Attributes:
        request: What was sent.
        response: What came back, or None when the call failed.
        error: Why the call failed, if it did.
    """

    request: ModelRequest
    response: ModelResponse | None = None
    error: str | None = None


class AssertionResult(Model):
    """One assertion's verdict.

    Attributes:
        type: The assertion type as written (with any ``not-`` prefix).
        passed: Whether the assertion held. For a weight-0 assertion this is the measured
            verdict; it never fails the eval (promptfoo reports such results as passed).
        score: 0 to 1; binary types give 1 or 0, metrics their value (inverted for ``not-``).
        weight: Its weight in the enclosing score.
        metric: Its metric name, if any.
        reason: Why it passed or failed, for people.
        grader: The grader model calls of a model-graded type, oldest first.
        assertions: For ``assert-set``, the verdicts of its assertions.
    """

    type: str
    passed: bool
    score: float
    weight: float
    metric: str | None = None
    reason: str
    grader: tuple[GraderExchange, ...] = ()
    assertions: tuple[AssertionResult, ...] = ()

    @property
    def gates(self) -> bool:
        """True when this result counts towards pass or fail (weight above 0)."""
        return self.weight > 0


@dataclass(frozen=True, slots=True)
class Check:
    """What a checker gets: one assertion, the text under test and the run's measurements.

    Attributes:
        assertion: The assertion as written.
        base_type: Its type without the ``not-`` prefix.
        inverse: Whether it had the ``not-`` prefix.
        output: The text under test, untrimmed.
        context: The run's measurements and the grader model client.
    """

    assertion: Assertion
    base_type: str
    inverse: bool
    output: str
    context: EvalContext


@dataclass(frozen=True, slots=True)
class Outcome:
    """A checker's verdict, with ``not-`` already applied (as promptfoo's handlers do).

    Attributes:
        passed: Whether the assertion holds.
        score: 0 to 1.
        reason: For people.
        grader: Grader model calls made.
    """

    passed: bool
    score: float
    reason: str
    grader: tuple[GraderExchange, ...] = field(default=())

    @classmethod
    def binary(cls, passed: bool, reason: str) -> Outcome:
        """A pass/fail verdict scored 1 or 0; ``reason`` is used only on failure."""
        return cls(passed, 1.0 if passed else 0.0, "Assertion passed" if passed else reason)


Checker = Callable[[Check], Outcome]


class AssertionValueError(ValueError):
    """An assertion's value or threshold does not fit its type (raised at spec validation)."""


class MissingMeasurementError(Exception):
    """The context lacks what the assertion measures (latency, cost, logprobs, a grader)."""
