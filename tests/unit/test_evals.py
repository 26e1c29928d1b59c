"""Assertions keep promptfoo's meaning; gates score them by promptfoo's rules."""

from __future__ import annotations

import pytest

from shared.domain.spec import Assertion, EvalSpec
from shared.evals.assertions import run_assertion
from shared.evals.gate import evaluate


def _check(kind: str, value: object, output: str) -> bool:
    return run_assertion(Assertion(type=kind, value=value), output).passed


@pytest.mark.parametrize(
    ("kind", "value", "output", "expected"),
    [
        ("equals", "Hello", "Hello", True),
        ("equals", "Hello", "Hello\n", False),  # nothing is trimmed
        ("equals", {"a": 1}, '{ "a": 1 }', True),  # objects compare as parsed JSON
        ("equals", {"a": 1}, "not json", False),
        ("contains", "price", "The price is 12", True),
        ("contains", "Price", "The price is 12", False),  # case-sensitive
        ("icontains", "PRICE", "The price is 12", True),
        ("contains", " 12", "The price is 12", True),  # whitespace in the value counts
        ("regex", r"\d+\.\d{2} EUR", "costs 12.99 EUR", True),
        ("regex", r"^\d+$", "12 EUR", False),
        ("is-json", None, '{"x": [1, 2]}', True),
        ("is-json", None, "{'x': 1}", False),
        ("is-json", {"type": "object", "required": ["price"]}, '{"price": 3}', True),
        ("is-json", {"type": "object", "required": ["price"]}, '{"cost": 3}', False),
        ("not-contains", "as an AI", "Here are the prices", True),
        ("not-icontains", "AS AN AI", "as an ai, I cannot", False),
        ("not-is-json", None, "plain text", True),
        ("not-equals", "a", "a", False),
    ],
)
def test_assertions_match_promptfoo(kind: str, value: object, output: str, expected: bool) -> None:
    assert _check(kind, value, output) is expected


def _eval(*assertions: dict[str, object], threshold: float | None = None) -> EvalSpec:
    return EvalSpec.model_validate(
        {"name": "e", "assert": list(assertions), "threshold": threshold}
    )


def test_without_threshold_every_gating_assertion_must_pass() -> None:
    spec = _eval({"type": "contains", "value": "a"}, {"type": "contains", "value": "z"})
    result = evaluate(spec, "abc")
    assert not result.passed
    assert result.score == 0.5
    assert result.blocks


def test_weight_zero_measures_without_gating() -> None:
    spec = _eval(
        {"type": "contains", "value": "a"}, {"type": "contains", "value": "z", "weight": 0}
    )
    result = evaluate(spec, "abc")
    assert result.passed
    assert [a.passed for a in result.assertions] == [True, False]


def test_threshold_gates_on_the_weighted_score() -> None:
    spec = _eval(
        {"type": "contains", "value": "a", "weight": 3},
        {"type": "contains", "value": "z", "weight": 1},
        threshold=0.75,
    )
    assert evaluate(spec, "abc").passed
    assert evaluate(spec, "xyz").score == 0.25
    assert not evaluate(spec, "xyz").passed
