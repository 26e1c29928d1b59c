"""``is-json`` and ``contains-json``, with an optional JSON Schema, as promptfoo 0.123 checks them.

Sources: promptfoo ``src/assertions/json.ts`` and ``extractJsonObjects`` (``src/util/json.ts``);
https://www.promptfoo.dev/docs/configuration/expected-outputs/deterministic/#is-json.

- ``is-json``: the whole output parses with ``JSON.parse`` (so no ``NaN``, no trailing text,
  surrounding whitespace allowed); with a schema the parsed value must validate.
- ``contains-json``: some ``{...}`` object in the output parses (promptfoo reads candidates with
  a YAML 1.2 JSON-compatible loader, after turning ``//`` comments into ``#``; arrays on their
  own are not found); with a schema, one of them must validate.
- Schemas are draft-07 (Ajv's default) with format checks; a string value is a schema written
  in YAML or JSON.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

import jsonschema
import yaml

from shared.evals._js import JS_WHITESPACE
from shared.evals.results import AssertionValueError, Check, Outcome

if TYPE_CHECKING:
    from shared.domain.spec import Assertion

_MAX_JSON_LENGTH = 100_000


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str) -> Any:
    """``JSON.parse``: Python's parser without the NaN/Infinity extensions.

    Raises:
        ValueError: Not JSON.
    """
    return json.loads(text, parse_constant=_reject_constant)


def _schema_of(assertion: Assertion) -> dict[str, Any] | bool | None:
    value = assertion.value
    if value is None or value == "" or value == {}:
        return None  # promptfoo skips validation for a falsy value ({} is truthy there, but empty)
    if isinstance(value, str):
        loaded = yaml.safe_load(value)
        return loaded  # type: ignore[no-any-return]
    return value  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=128)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _errors(schema: Any, instance: Any) -> list[str]:
    validator = _validator(json.dumps(schema, sort_keys=True))
    return [
        f"data{''.join(f'/{p}' for p in error.absolute_path)} {error.message}"
        for error in validator.iter_errors(instance)
    ]


def check_is_json(check: Check) -> Outcome:
    """The whole output is JSON (and matches the schema, if one is given)."""
    inverse = check.inverse
    try:
        parsed, parsed_ok = parse_json(check.output), True
    except ValueError:
        parsed, parsed_ok = None, False
    passed = parsed_ok != inverse
    schema = _schema_of(check.assertion)
    if parsed_ok and schema is not None:
        errors = _errors(schema, parsed)
        passed = bool(errors) == inverse
        if not passed:
            return Outcome(
                False,
                0.0,
                "Output is JSON that conforms to the provided schema"
                if inverse
                else f"JSON does not conform to the provided schema. Errors: {', '.join(errors)}",
            )
    return Outcome.binary(passed, f"Expected output to {'not ' if inverse else ''}be valid JSON")


def check_contains_json(check: Check) -> Outcome:
    """Some JSON object in the output parses (and matches the schema, if one is given)."""
    inverse = check.inverse
    reason = f"Expected output to {'not ' if inverse else ''}contain valid JSON"
    objects = extract_json_objects(check.output)
    passed = (not objects) if inverse else bool(objects)
    schema = _schema_of(check.assertion)
    if schema is not None:
        for candidate in objects:
            errors = _errors(schema, candidate)
            passed = bool(errors) if inverse else not errors
            if not errors:
                if inverse:
                    reason = "Output contains JSON conforming to the provided schema"
                break
            reason = f"JSON does not conform to the provided schema. Errors: {', '.join(errors)}"
    return Outcome.binary(passed, reason)


def extract_json_objects(text: str) -> list[Any]:
    """Every ``{...}`` object promptfoo's ``extractJsonObjects`` finds, in order.

    From each ``{`` it grows the candidate to the matching brace count (or the end of the
    text, closing what is open) and keeps the first prefix that loads as a mapping.
    """
    found: list[Any] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] != "{":
            i += 1
            continue
        opened, closed, j = 1, 0, i + 1
        limit = min(i + _MAX_JSON_LENGTH, n)
        next_i = i + 1
        while j < limit and opened > closed:
            char = text[j]
            if char == "{":
                opened += 1
            elif char == "}":
                closed += 1
            j += 1
            if opened == closed or j == n or j == i + _MAX_JSON_LENGTH:
                candidate = text[i:j] + "}" * max(0, opened - closed)
                parsed = _load_lenient(candidate)
                if isinstance(parsed, dict | list) and parsed is not None:
                    found.append(parsed)
                    next_i = j
                    break
                if parsed is _FAILED and opened == closed:
                    break
        i = next_i
    return found


_FAILED = object()


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_lenient(candidate: str) -> Any:
    # JSON is YAML, and the C JSON parser is much faster: try it first.
    try:
        return parse_json(candidate)
    except (ValueError, RecursionError):
        pass
    try:
        return yaml.load(_slash_comments_to_hash(candidate), Loader=_YAML_LOADER)
    except (yaml.YAMLError, ValueError, RecursionError):
        return _FAILED


def _slash_comments_to_hash(text: str) -> str:
    """``// comment`` → ``# comment`` outside quoted strings (URLs are left alone)."""
    if "//" not in text:
        return text
    lines = []
    for line in text.split("\n"):
        state, out, i = "normal", [], 0
        while i < len(line):
            char = line[i]
            prev = line[i - 1] if i else ""
            if state == "normal":
                if char == "'" and not (prev.isascii() and prev.isalpha()):
                    state = "single"
                elif char == '"':
                    state = "double"
                elif char == "/" and line[i + 1 : i + 2] == "/":
                    start = max(
                        (k + 1 for k in range(i - 1, -1, -1) if line[k] in JS_WHITESPACE),
                        default=0,
                    )
                    if "://" in line[start : i + 2]:
                        out.append(char)
                        i += 1
                        continue
                    slashes = 2
                    while line[i + slashes : i + slashes + 1] == "/":
                        slashes += 1
                    out.append("#" * (slashes // 2) + line[i + slashes :])
                    i = len(line)
                    break
            elif state == "single":
                nxt = line[i + 1 : i + 2]
                if char == "'" and prev != "\\" and not (nxt.isascii() and nxt.isalpha()):
                    state = "normal"
            elif char == '"' and prev != "\\":
                state = "normal"
            out.append(char)
            i += 1
        lines.append("".join(out))
    return "\n".join(lines)


def validate_json_schema(assertion: Assertion) -> None:
    """The value, when given, is a JSON Schema (object, or YAML/JSON text of one)."""
    value = assertion.value
    if isinstance(value, str) and value.startswith("file://"):
        raise AssertionValueError("file:// schemas are not supported; write the schema inline")
    if value is not None and not isinstance(value, dict | str):
        raise AssertionValueError(f'"{assertion.type}" value must be a JSON Schema object')
    try:
        schema = _schema_of(assertion)
    except yaml.YAMLError as error:
        raise AssertionValueError(f"the schema is not valid YAML or JSON: {error}") from None
    if schema is None:
        return
    if not isinstance(schema, dict | bool):
        raise AssertionValueError("the schema must be an object")
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    try:
        cls.check_schema(schema)  # type: ignore[arg-type]
    except jsonschema.SchemaError as error:
        raise AssertionValueError(f"invalid JSON Schema: {error.message}") from None
