"""Assertions are checked when the spec is loaded: each problem is named, none passes silently."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.spec import KNOWN_ASSERTIONS, Assertion, EvalSpec, EvalStage, load_agent_spec
from shared.errors import ValidationError
from shared.evals.registry import REGISTRY


def _spec_errors(*assertions: dict[str, Any]) -> list[str]:
    document = {
        "agent": {
            "name": "a",
            "system_prompt": "p",
            "evals": [{"name": "e", "assert": list(assertions)}],
        }
    }
    with pytest.raises(ValidationError) as caught:
        load_agent_spec(document)
    return [e["message"] for e in caught.value.details["errors"]]


def test_every_known_type_has_a_checker() -> None:
    assert set(REGISTRY) == set(KNOWN_ASSERTIONS)


def test_meteor_is_refused_with_the_reason() -> None:
    (message,) = _spec_errors({"type": "meteor", "value": "a reference"})

    assert "not supported" in message and "WordNet" in message


def test_an_unknown_type_lists_the_known_ones() -> None:
    (message,) = _spec_errors({"type": "contains-everything", "value": "x"})

    assert "unknown assertion type 'contains-everything'" in message and "icontains-all" in message


@pytest.mark.parametrize(
    ("assertion", "fragment"),
    [
        ({"type": "contains"}, "non-empty string or number"),
        ({"type": "contains", "value": ""}, "non-empty string or number"),
        ({"type": "icontains", "value": True}, "non-empty string or number"),
        ({"type": "contains-any", "value": []}, "list of strings"),
        ({"type": "contains-any", "value": '"open, b'}, "Unterminated quoted field"),
        ({"type": "contains-all", "value": '"a" b'}, "Expected comma after quoted field"),
        ({"type": "regex", "value": "(unclosed"}, "invalid regular expression"),
        ({"type": "regex", "value": r"(?<=a+)b"}, "invalid regular expression"),
        ({"type": "starts-with", "value": ""}, "non-empty string"),
        ({"type": "word-count", "value": {"min": 5, "max": 2}}, "min (5) must be less"),
        ({"type": "word-count", "value": "many"}, "must be a number"),
        ({"type": "levenshtein", "value": 3}, "string value"),
        ({"type": "is-json", "value": {"type": "objekt"}}, "invalid JSON Schema"),
        ({"type": "is-json", "value": "file://schema.json"}, "file:// schemas are not supported"),
        ({"type": "is-xml", "value": {"elements": ["a"]}}, "xml assertion must contain"),
        ({"type": "is-sql", "value": {"databaseType": "Oracle"}}, "unknown databaseType"),
        ({"type": "bleu", "value": []}, "string or a list of strings"),
        ({"type": "rouge-n", "value": ["a"]}, "string value"),
        ({"type": "latency"}, "threshold in milliseconds"),
        ({"type": "cost"}, "threshold in USD"),
        ({"type": "finish-reason"}, "string value"),
        ({"type": "tool-call-f1", "value": " , "}, "tool names"),
        ({"type": "llm-rubric"}, "needs a rubric"),
        ({"type": "factuality", "value": ""}, "needs a string value"),
        ({"type": "g-eval", "value": []}, "criterion"),
        ({"type": "contains-pii", "value": ["email", "dna"]}, "unknown PII kinds"),
        ({"type": "contains-pii", "value": {"phone_regions": ["XX"]}}, "unknown phone regions"),
        ({"type": "contains-secret", "value": ["passwords"]}, "unknown secret kinds"),
        ({"type": "max-bytes", "value": 0}, "positive whole number"),
        ({"type": "bleu", "value": "x", "threshold": 1.5}, "score from 0 to 1"),
        ({"type": "contains", "value": "x", "threshold": -1}, "0 or more"),
        ({"type": "assert-set", "assert": []}, "non-empty assert list"),
        (
            {"type": "assert-set", "assert": [{"type": "assert-set", "assert": []}]},
            "non-empty assert list",
        ),
        (
            {"type": "contains", "value": "x", "assert": [{"type": "contains", "value": "y"}]},
            "only assert-set",
        ),
    ],
)
def test_bad_values_are_refused_with_a_reason(assertion: dict[str, Any], fragment: str) -> None:
    messages = _spec_errors(assertion)

    assert any(fragment in m for m in messages), messages


def test_nested_assert_sets_are_refused() -> None:
    nested = {"type": "assert-set", "assert": [{"type": "contains", "value": "a"}]}

    messages = _spec_errors({"type": "assert-set", "assert": [nested]})

    assert any("cannot hold another assert-set" in m for m in messages)


def test_unbounded_thresholds_are_maxima_in_their_units() -> None:
    Assertion(type="latency", threshold=2500)
    Assertion(type="levenshtein", value="abc", threshold=12)
    Assertion(type="cost", threshold=0.25)


def test_a_stored_spec_reads_back_as_written() -> None:
    # Fields added for the full engine are left out of dumps while unset.
    assertion = Assertion(type="contains", value="EUR")

    assert assertion.model_dump(by_alias=True) == {
        "type": "contains",
        "value": "EUR",
        "weight": 1.0,
        "metric": None,
    }
    rubric = Assertion.model_validate(
        {
            "type": "llm-rubric",
            "value": "polite",
            "threshold": 0.5,
            "rubricPrompt": "Grade {{ output }}",
        }
    )
    assert rubric.model_dump(by_alias=True)["rubricPrompt"] == "Grade {{ output }}"
    again = Assertion.model_validate(rubric.model_dump(by_alias=True))
    assert again == rubric


def test_an_eval_spec_takes_the_seed_schema() -> None:
    spec = EvalSpec.model_validate(
        {
            "name": "accuracy",
            "type": "quality",
            "method": "llm_as_judge",
            "stage": "continuous",
            "sample_rate": 0.1,
            "assert": [{"type": "llm-rubric", "value": "States every price with its currency"}],
            "threshold": 0.8,
            "on_failure": {"severity": "critical", "action": "require_approval"},
        }
    )

    assert spec.stage == EvalStage.CONTINUOUS
    assert spec.sample_rate == 0.1
