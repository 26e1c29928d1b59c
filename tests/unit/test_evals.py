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


# --- gate semantics: promptfoo's AssertionsResult (src/assertions/assertionsResult.ts) ------


def test_the_reason_of_a_failed_gate_is_its_last_failing_assertion() -> None:
    spec = _eval({"type": "contains", "value": "z"}, {"type": "starts-with", "value": "x"})

    result = evaluate(spec, "abc")

    assert result.reason == 'Expected output to start with "x"'


def test_a_threshold_reason_states_the_aggregate_score() -> None:
    spec = _eval(
        {"type": "contains", "value": "a"}, {"type": "contains", "value": "z"}, threshold=0.4
    )

    result = evaluate(spec, "abc")

    assert result.passed
    assert result.reason == "Aggregate score 0.50 ≥ 0.4 threshold"


def test_only_weight_zero_assertions_score_zero_as_in_promptfoo() -> None:
    # totalWeight 0 → score 0; nothing gating failed → pass, unless a threshold asks for more.
    spec = _eval({"type": "contains", "value": "a", "weight": 0})
    assert evaluate(spec, "abc").score == 0.0
    assert evaluate(spec, "xyz").passed
    with_threshold = _eval({"type": "contains", "value": "a", "weight": 0}, threshold=0.5)
    assert not evaluate(with_threshold, "abc").passed


def test_metric_names_collect_weighted_scores() -> None:
    spec = _eval(
        {"type": "contains", "value": "a", "metric": "style", "weight": 3},
        {"type": "contains", "value": "z", "metric": "style"},
        {"type": "contains", "value": "b", "metric": "facts"},
    )

    result = evaluate(spec, "abc")

    assert result.named_scores == {"style": 0.75, "facts": 1.0}
    assert [a.metric for a in result.assertions] == ["style", "style", "facts"]


def test_an_assert_set_scores_as_one_weighted_assertion() -> None:
    spec = _eval(
        {
            "type": "assert-set",
            "threshold": 0.5,
            "weight": 2,
            "metric": "tone",
            "assert": [{"type": "contains", "value": "a"}, {"type": "contains", "value": "z"}],
        },
        {"type": "contains", "value": "q"},
    )

    result = evaluate(spec, "abc")

    the_set = result.assertions[0]
    assert (the_set.passed, the_set.score, the_set.weight) == (True, 0.5, 2)
    assert [a.passed for a in the_set.assertions] == [True, False]
    assert the_set.reason == "Aggregate score 0.50 ≥ 0.5 threshold"
    assert result.score == pytest.approx((0.5 * 2 + 0.0) / 3)
    assert not result.passed  # the 'q' assertion failed


def test_an_assert_set_without_threshold_needs_every_assertion() -> None:
    spec = _eval(
        {
            "type": "assert-set",
            "assert": [{"type": "contains", "value": "a"}, {"type": "regex", "value": "z"}],
        }
    )

    result = evaluate(spec, "abc")

    assert not result.passed
    assert result.assertions[0].reason == 'Expected output to match regex "z"'


def test_require_approval_stops_delivery_and_asks_for_a_person() -> None:
    spec = EvalSpec.model_validate(
        {
            "name": "tone",
            "assert": [{"type": "contains", "value": "z"}],
            "on_failure": {"severity": "warning", "action": "require_approval"},
        }
    )

    result = evaluate(spec, "abc")

    assert result.blocks and result.needs_approval
    assert not evaluate(spec, "z").blocks


def test_warn_and_log_never_block() -> None:
    for action in ("warn", "log"):
        spec = EvalSpec.model_validate(
            {
                "name": "e",
                "assert": [{"type": "contains", "value": "z"}],
                "on_failure": {"action": action},
            }
        )
        result = evaluate(spec, "abc")
        assert not result.passed and not result.blocks and not result.needs_approval


def test_a_missing_measurement_fails_with_its_name_instead_of_passing() -> None:
    # promptfoo throws ("Latency assertion does not support cached results"); a gate must not
    # pass on what was not measured.
    spec = _eval({"type": "latency", "threshold": 1000})

    result = evaluate(spec, "abc")

    assert not result.passed
    assert "latency was not measured" in result.assertions[0].reason


def test_results_are_frozen_pydantic_models_that_serialise() -> None:
    result = evaluate(_eval({"type": "contains", "value": "a"}), "abc")

    dumped = result.model_dump(mode="json")

    assert dumped["assertions"][0]["grader"] == []
    with pytest.raises(ValueError):
        result.assertions[0].passed = False  # type: ignore[misc]
