"""The registry: every assertion type, its checker and the rules its value must follow.

One module per family holds the checkers (``text``, ``json_checks``, ``xml_checks``,
``html_checks``, ``sql_checks``, ``similarity``, ``measured``, ``refusal``, ``graded``, ``pii``,
``secrets``); this module maps each type name (without ``not-``) to them. The names are
``shared.domain.spec.KNOWN_ASSERTIONS``; a test keeps the two equal.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.evals import (
    graded,
    html_checks,
    json_checks,
    measured,
    pii,
    refusal,
    secrets,
    similarity,
    sql_checks,
    text,
    xml_checks,
)
from shared.evals.results import AssertionValueError, Checker

if TYPE_CHECKING:
    from shared.domain.spec import Assertion

Validator = Callable[["Assertion"], None]


@dataclass(frozen=True)
class AssertionType:
    """One assertion type.

    Attributes:
        name: The type without ``not-``.
        family: The group it is documented under.
        check: The checker.
        validate: Checks the value and threshold when the spec is loaded.
        model_graded: Whether it calls a grader model.
    """

    name: str
    family: str
    check: Checker
    validate: Validator | None = None
    model_graded: bool = False


def _no_value(assertion: Assertion) -> None:
    return None


_TYPES = (
    AssertionType("equals", "text", text.check_equals, text.validate_equals),
    AssertionType("contains", "text", text.check_contains, text.validate_contains),
    AssertionType("icontains", "text", text.check_contains, text.validate_contains),
    AssertionType("contains-any", "text", text.check_contains_any, text.validate_contains_list),
    AssertionType("icontains-any", "text", text.check_contains_any, text.validate_contains_list),
    AssertionType("contains-all", "text", text.check_contains_all, text.validate_contains_list),
    AssertionType("icontains-all", "text", text.check_contains_all, text.validate_contains_list),
    AssertionType("starts-with", "text", text.check_starts_with, text.validate_non_empty_string),
    AssertionType("regex", "text", text.check_regex, text.validate_non_empty_string),
    AssertionType("word-count", "text", text.check_word_count, text.validate_word_count),
    AssertionType("levenshtein", "text", text.check_levenshtein, text.validate_levenshtein),
    AssertionType(
        "is-json", "structured", json_checks.check_is_json, json_checks.validate_json_schema
    ),
    AssertionType(
        "contains-json",
        "structured",
        json_checks.check_contains_json,
        json_checks.validate_json_schema,
    ),
    AssertionType("is-xml", "structured", xml_checks.check_xml, xml_checks.validate_xml_value),
    AssertionType(
        "contains-xml", "structured", xml_checks.check_xml, xml_checks.validate_xml_value
    ),
    AssertionType("is-html", "structured", html_checks.check_html, _no_value),
    AssertionType("contains-html", "structured", html_checks.check_html, _no_value),
    AssertionType("is-sql", "structured", sql_checks.check_is_sql, sql_checks.validate_sql_value),
    AssertionType("rouge-n", "similarity", similarity.check_rouge_n, similarity.validate_rouge),
    AssertionType("bleu", "similarity", similarity.check_bleu, similarity.validate_references),
    AssertionType("gleu", "similarity", similarity.check_gleu, similarity.validate_references),
    AssertionType(
        "latency", "measured", measured.check_latency, measured.validate_threshold_required
    ),
    AssertionType("cost", "measured", measured.check_cost, measured.validate_threshold_required),
    AssertionType("perplexity", "measured", measured.check_perplexity, _no_value),
    AssertionType(
        "finish-reason", "measured", measured.check_finish_reason, measured.validate_finish_reason
    ),
    AssertionType("is-refusal", "measured", refusal.check_is_refusal, _no_value),
    AssertionType(
        "tool-call-f1", "measured", measured.check_tool_call_f1, measured.validate_tool_call_f1
    ),
    AssertionType(
        "llm-rubric", "model-graded", graded.check_llm_rubric, graded.validate_rubric, True
    ),
    AssertionType(
        "factuality", "model-graded", graded.check_factuality, graded.validate_reference, True
    ),
    AssertionType(
        "model-graded-closedqa",
        "model-graded",
        graded.check_closed_qa,
        graded.validate_reference,
        True,
    ),
    AssertionType("g-eval", "model-graded", graded.check_g_eval, graded.validate_criteria, True),
    AssertionType("contains-pii", "safety", pii.check_contains_pii, pii.validate_pii),
    AssertionType(
        "contains-secret", "safety", secrets.check_contains_secret, secrets.validate_secret
    ),
    AssertionType("max-bytes", "safety", secrets.check_max_bytes, secrets.validate_max_bytes),
)
REGISTRY: dict[str, AssertionType] = {t.name: t for t in _TYPES}

# Types whose threshold is a maximum or a count, not a 0-1 score.
_UNBOUNDED_THRESHOLD = {"levenshtein", "latency", "cost", "perplexity"}


def validate_assertion(assertion: Assertion) -> None:
    """Check an assertion's value and threshold against its type (called by the spec model).

    Raises:
        ValueError: What is wrong, for the spec's error list.
    """
    if assertion.type == "assert-set":
        if not assertion.assertions:
            raise ValueError("assert-set needs a non-empty assert list")
        if any(child.type == "assert-set" for child in assertion.assertions):
            raise ValueError("an assert-set cannot hold another assert-set")
        if assertion.value is not None:
            raise ValueError("assert-set takes no value; put the assertions under assert")
        _check_threshold(assertion, unbounded=False)
        return
    if assertion.assertions is not None:
        raise ValueError(f"only assert-set takes an assert list, not {assertion.type!r}")
    base = assertion.type.removeprefix("not-")
    _check_threshold(assertion, unbounded=base in _UNBOUNDED_THRESHOLD)
    validate = REGISTRY[base].validate
    if validate is not None:
        try:
            validate(assertion)
        except AssertionValueError as error:
            raise ValueError(str(error)) from None


def _check_threshold(assertion: Assertion, *, unbounded: bool) -> None:
    threshold = assertion.threshold
    if threshold is None:
        return
    if not math.isfinite(threshold) or threshold < 0:
        raise ValueError("threshold must be a finite number, 0 or more")
    if not unbounded and threshold > 1:
        raise ValueError(f"threshold of {assertion.type!r} is a score from 0 to 1")
