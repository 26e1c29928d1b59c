"""Programmatic assertions with promptfoo's semantics (promptfoo 0.123 is the reference).

Supported here: ``equals``, ``contains``, ``icontains``, ``regex``, ``is-json`` and the ``not-``
form of each. As in promptfoo, nothing is trimmed: whitespace counts; ``icontains`` folds case
with lower-casing on both sides; ``equals`` with an object or list value compares it with the
output parsed as JSON; ``is-json`` with a value validates the parsed output against that JSON
Schema. Reference: https://www.promptfoo.dev/docs/configuration/expected-outputs/deterministic/
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import jsonschema

from shared.domain.base import Model
from shared.domain.spec import Assertion


class AssertionResult(Model):
    """One assertion's verdict.

    Attributes:
        type: The assertion type as written (with any ``not-`` prefix).
        passed: Whether it passed.
        score: 1.0 or 0.0 for the types supported here.
        weight: Its weight in the eval's score.
        metric: Its metric name, if any.
        reason: Why it passed or failed, for people.
    """

    type: str
    passed: bool
    score: float
    weight: float
    metric: str | None = None
    reason: str


def _parse_json(output: str) -> tuple[bool, Any, str]:
    try:
        return True, json.loads(output), ""
    except ValueError as error:
        return False, None, f"output is not valid JSON: {error}"


def _equals(output: str, value: Any) -> tuple[bool, str]:
    if isinstance(value, dict | list):
        ok, parsed, problem = _parse_json(output)
        if not ok:
            return False, problem
        return parsed == value, "output JSON equals the expected value"
    return output == str(value), f"output equals {str(value)!r}"


def _contains(output: str, value: Any) -> tuple[bool, str]:
    return str(value) in output, f"output contains {str(value)!r}"


def _icontains(output: str, value: Any) -> tuple[bool, str]:
    return str(value).lower() in output.lower(), f"output contains {str(value)!r} (any case)"


def _regex(output: str, value: Any) -> tuple[bool, str]:
    return re.search(str(value), output) is not None, f"output matches /{value}/"


def _is_json(output: str, value: Any) -> tuple[bool, str]:
    ok, parsed, problem = _parse_json(output)
    if not ok:
        return False, problem
    if value is None:
        return True, "output is valid JSON"
    try:
        jsonschema.validate(parsed, value)
    except jsonschema.ValidationError as error:
        return False, f"output JSON does not match the schema: {error.message}"
    return True, "output is valid JSON matching the schema"


CHECKS: dict[str, Callable[[str, Any], tuple[bool, str]]] = {
    "equals": _equals,
    "contains": _contains,
    "icontains": _icontains,
    "regex": _regex,
    "is-json": _is_json,
}


def run_assertion(assertion: Assertion, output: str) -> AssertionResult:
    """Check one assertion against ``output``.

    Args:
        assertion: The assertion (type possibly ``not-``-prefixed; validated by the spec).
        output: The text under test, untrimmed.

    Returns:
        The verdict; a ``not-`` assertion passes exactly when its base check fails.

    Raises:
        KeyError: The type is unknown (the spec's validation prevents this).
    """
    negated = assertion.type.startswith("not-")
    holds, description = CHECKS[assertion.type.removeprefix("not-")](output, assertion.value)
    passed = holds != negated
    reason = description if holds else f"expected: {description}"
    if negated:
        reason = f"expected NOT: {description}" if holds else f"as required, not: {description}"
    return AssertionResult(
        type=assertion.type,
        passed=passed,
        score=1.0 if passed else 0.0,
        weight=assertion.weight,
        metric=assertion.metric,
        reason=reason,
    )
