"""Text assertions: ``equals``, the ``contains`` family, ``starts-with``, ``regex``,
``word-count`` and ``levenshtein``, as promptfoo 0.123 defines them.

Sources: promptfoo ``src/assertions/{equals,contains,startsWith,regex,wordCount,levenshtein}.ts``
and https://www.promptfoo.dev/docs/configuration/expected-outputs/deterministic/. Nothing is
trimmed; ``i``-types fold case by lower-casing both sides (JavaScript ``toLowerCase``, the
Unicode default mapping that Python's ``str.lower`` also applies); values are turned into text
with JavaScript's ``String()`` (``1.0`` is ``"1"``, ``true`` is ``"true"``).
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from shared.evals._js import (
    JS_WHITESPACE,
    js_json,
    js_number,
    js_split_whitespace,
    js_string,
    js_trim,
    levenshtein,
)
from shared.evals._jsregex import compile_js
from shared.evals.results import AssertionValueError, Check, Outcome

if TYPE_CHECKING:
    from shared.domain.spec import Assertion


def _not(inverse: bool) -> str:
    return "not " if inverse else ""


# --- equals -------------------------------------------------------------------------------


def check_equals(check: Check) -> Outcome:
    """Object and list values compare with the output parsed as JSON (deep equality)."""
    value, inverse = check.assertion.value, check.inverse
    if isinstance(value, dict | list):
        try:
            holds = _deep_equal(value, json.loads(check.output))
            passed = holds != inverse
        except ValueError:
            passed = inverse  # promptfoo: unparseable output never equals an object
        shown = js_json(value)
    else:
        passed = (js_string(value) == check.output) != inverse
        shown = js_string(value)
    return Outcome.binary(
        passed, f'Expected output "{check.output}" to {_not(inverse)}equal "{shown}"'
    )


def _deep_equal(a: Any, b: Any) -> bool:
    # util.isDeepStrictEqual: types must match (1 == 1.0 is one JS number; True is not 1).
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_deep_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_deep_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


# --- contains family ------------------------------------------------------------------------


def parse_comma_separated(value: str) -> list[str]:
    """Split a ``contains-any``/``-all`` string as promptfoo does.

    Unquoted fields are trimmed; double-quoted fields keep commas and spaces, with ``\\"``,
    ``\\\\`` and ``""`` as escapes; repeated commas make no empty fields.

    Raises:
        AssertionValueError: An unterminated quoted field, or text after a closing quote.
    """
    results: list[str] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and (value[i] == "," or value[i] in _JS_SPACE):
            i += 1
        if i >= n:
            break
        if value[i] == '"':
            field, i = _quoted_field(value, i)
            results.append(field)
            while i < n and value[i] in _JS_SPACE:
                i += 1
            if i < n and value[i] != ",":
                raise AssertionValueError(
                    "Expected comma after quoted field in contains assertion value"
                )
        else:
            end = value.find(",", i)
            end = n if end < 0 else end
            results.append(js_trim(value[i:end]))
            i = end
    return results


_JS_SPACE = frozenset(JS_WHITESPACE)


def _quoted_field(value: str, start: int) -> tuple[str, int]:
    i, n, field = start + 1, len(value), []
    while i < n:
        char = value[i]
        if char == "\\" and i + 1 < n and value[i + 1] in ('"', "\\"):
            field.append(value[i + 1])
            i += 2
        elif char == '"' and i + 1 < n and value[i + 1] == '"':
            field.append('"')
            i += 2
        elif char == '"':
            return "".join(field), i + 1
        else:
            field.append(char)
            i += 1
    raise AssertionValueError("Unterminated quoted field in contains assertion value")


def _candidates(value: Any) -> list[Any]:
    return parse_comma_separated(value) if isinstance(value, str) else list(value)


def check_contains(check: Check) -> Outcome:
    """Substring test; ``icontains`` lower-cases both sides."""
    fold = check.base_type == "icontains"
    needle = js_string(check.assertion.value)
    haystack = check.output.lower() if fold else check.output
    passed = ((needle.lower() if fold else needle) in haystack) != check.inverse
    return Outcome.binary(passed, f'Expected output to {_not(check.inverse)}contain "{needle}"')


def check_contains_any(check: Check) -> Outcome:
    """Any of a list (or comma-separated string) is a substring."""
    fold = check.base_type.startswith("i")
    values = _candidates(check.assertion.value)
    haystack = check.output.lower() if fold else check.output
    found = any((js_string(v).lower() if fold else js_string(v)) in haystack for v in values)
    passed = found != check.inverse
    shown = ", ".join(js_string(v) for v in values)
    return Outcome.binary(
        passed, f'Expected output to {_not(check.inverse)}contain one of "{shown}"'
    )


def check_contains_all(check: Check) -> Outcome:
    """Every one of a list (or comma-separated string) is a substring."""
    fold = check.base_type.startswith("i")
    values = _candidates(check.assertion.value)
    haystack = check.output.lower() if fold else check.output
    missing = [
        js_string(v)
        for v in values
        if (js_string(v).lower() if fold else js_string(v)) not in haystack
    ]
    passed = (not missing) != check.inverse
    shown = ", ".join(js_string(v) for v in values)
    return Outcome.binary(
        passed,
        f"Expected output to {_not(check.inverse)}contain all of [{shown}]. "
        f"Missing: [{', '.join(missing)}]",
    )


def check_starts_with(check: Check) -> Outcome:
    """Prefix test; leading whitespace counts."""
    value = check.assertion.value
    passed = check.output.startswith(value) != check.inverse
    return Outcome.binary(passed, f'Expected output to {_not(check.inverse)}start with "{value}"')


def check_regex(check: Check) -> Outcome:
    """``new RegExp(value).test(output)``: a search, no flags, JavaScript's syntax."""
    value = check.assertion.value
    passed = (compile_js(value).search(check.output) is not None) != check.inverse
    return Outcome.binary(passed, f'Expected output to {_not(check.inverse)}match regex "{value}"')


# --- word-count and levenshtein ---------------------------------------------------------------


def count_words(text: str) -> int:
    """Words as promptfoo counts them: runs of non-whitespace (JavaScript's ``\\s``)."""
    if not _SPLIT_DIFFERS.intersection(text):
        # Without these characters Python's whitespace is JavaScript's, and str.split is fast.
        return len(text.split())
    return sum(1 for word in js_split_whitespace(js_trim(text)) if word)


# Whitespace to one language and not the other: U+001C-U+001F and U+0085 (Python), U+FEFF (JS).
_SPLIT_DIFFERS = frozenset("\x1c\x1d\x1e\x1f\x85\ufeff")


def check_word_count(check: Check) -> Outcome:
    """Exact count (number), or a ``{min, max}`` range with either bound optional."""
    value, inverse = check.assertion.value, check.inverse
    count = count_words(check.output)
    if isinstance(value, dict):
        low: float | None = value.get("min")
        high: float | None = value.get("max")
        if low is not None and high is not None:
            passed = (low <= count <= high) != inverse
            reason = (
                f"Expected word count to not be between {js_number(low)} and {js_number(high)}, "
                f"but got {count}"
                if inverse
                else f"Word count {count} is not between {js_number(low)} and {js_number(high)}"
            )
        elif high is not None:
            passed = (count <= high) != inverse
            reason = (
                f"Expected word count to be greater than {js_number(high)}, but got {count}"
                if inverse
                else f"Word count {count} is greater than maximum {js_number(high)}"
            )
        else:
            assert low is not None  # validated: min and/or max
            passed = (count >= low) != inverse
            reason = (
                f"Expected word count to be less than {js_number(low)}, but got {count}"
                if inverse
                else f"Word count {count} is less than minimum {js_number(low)}"
            )
    else:
        expected = js_to_number(value)
        passed = (count == expected) != inverse
        reason = (
            f"Expected word count to not equal {js_number(expected)}, but got {count}"
            if inverse
            else f"Word count {count} does not equal expected {js_number(expected)}"
        )
    return Outcome.binary(passed, reason)


LEVENSHTEIN_DEFAULT_THRESHOLD = 5


def check_levenshtein(check: Check) -> Outcome:
    """Edit distance to the value at most ``threshold`` (default 5), over UTF-16 code units."""
    threshold = check.assertion.threshold
    threshold = LEVENSHTEIN_DEFAULT_THRESHOLD if threshold is None else threshold
    distance = levenshtein(check.output, check.assertion.value)
    passed = (distance <= threshold) != check.inverse
    relation = "less than or equal to" if check.inverse else "greater than"
    return Outcome.binary(
        passed,
        f"Levenshtein distance {distance} is {relation} threshold {js_number(threshold)}",
    )


# --- validation ---------------------------------------------------------------------------------


def _is_contains_value(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return (isinstance(value, str) and value != "") or (
        isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value))
    )


def validate_contains(assertion: Assertion) -> None:
    """``contains``/``icontains`` need a non-empty string or a number."""
    if not _is_contains_value(assertion.value):
        raise AssertionValueError(f'"{_base(assertion)}" needs a non-empty string or number value')


def validate_contains_list(assertion: Assertion) -> None:
    """The ``-any``/``-all`` types need a non-empty list, or a parseable comma-separated string."""
    value = assertion.value
    if isinstance(value, str) and value:
        parse_comma_separated(value)
    elif not (isinstance(value, list | tuple) and value):
        raise AssertionValueError(
            f'"{_base(assertion)}" needs a list of strings or a comma-separated string'
        )


def validate_equals(assertion: Assertion) -> None:
    """``equals`` needs a value (text, number, list or object)."""
    if assertion.value is None:
        raise AssertionValueError('"equals" needs a value')


def validate_non_empty_string(assertion: Assertion) -> None:
    """``starts-with``, ``regex``: a non-empty string (a regex must also compile)."""
    if not (isinstance(assertion.value, str) and assertion.value):
        raise AssertionValueError(f'"{_base(assertion)}" needs a non-empty string value')
    if _base(assertion) == "regex":
        import re

        try:
            compile_js(assertion.value)
        except re.error as error:
            raise AssertionValueError(f"invalid regular expression: {error}") from None


def validate_word_count(assertion: Assertion) -> None:
    """A count (number or numeric string) or ``{min, max}`` with min <= max."""
    value = assertion.value
    if isinstance(value, dict):
        unknown = set(value) - {"min", "max"}
        bounds = [value.get("min"), value.get("max")]
        if unknown or all(b is None for b in bounds):
            raise AssertionValueError('"word-count" object needs "min" and/or "max" (only those)')
        if any(
            b is not None and (isinstance(b, bool) or not isinstance(b, int | float))
            for b in bounds
        ):
            raise AssertionValueError('"word-count" bounds must be numbers')
        if None not in bounds and bounds[0] > bounds[1]:  # type: ignore[operator]
            raise AssertionValueError(
                f'"word-count": min ({bounds[0]}) must be less than or equal to max ({bounds[1]})'
            )
        return
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise AssertionValueError('"word-count" needs a number or a {min, max} object')
    if math.isnan(js_to_number(value)):
        raise AssertionValueError('"word-count" value must be a number')


def js_to_number(value: float | int | str) -> float:
    """JavaScript's ``Number(value)`` for numbers and decimal strings (NaN when not numeric)."""
    if not isinstance(value, str):
        return float(value)
    text = js_trim(value)
    if text == "":
        return 0.0
    if text in ("Infinity", "+Infinity", "-Infinity"):
        return float(text.replace("Infinity", "inf"))
    if "_" in text or text.lower().lstrip("+-") in ("inf", "infinity", "nan"):
        return math.nan
    try:
        return float(text)
    except ValueError:
        return math.nan


def validate_levenshtein(assertion: Assertion) -> None:
    """A string reference; the threshold (a distance) may be given."""
    if not isinstance(assertion.value, str):
        raise AssertionValueError('"levenshtein" needs a string value')


def _base(assertion: Assertion) -> str:
    return assertion.type.removeprefix("not-")
