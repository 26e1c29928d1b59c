"""From a webhook's payload to a run's input, as the spec's ``trigger.input`` says.

JSONPath is evaluated by jsonpath-ng's extended parser (filters such as
``$.commits[?(@.distinct == true)]`` included). ``trigger.input`` is one of:

- None: the input is ``{"payload": <payload>}``;
- a JSONPath: the input is the object it selects (a non-object is wrapped as ``{"value": x}``,
  nothing selected is ``{}``);
- a mapping of input fields to JSONPaths: each field gets its path's match (null when nothing
  matches, a list when several do).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng.exceptions import JSONPathError
from jsonpath_ng.ext import parse

from shared.errors import PermanentError

InputMapping = str | dict[str, str] | None

MAX_PATH_CHARS = 500
MAX_FIELDS = 50


@lru_cache(maxsize=1024)
def _compiled(path: str) -> JSONPath:
    return parse(path)


def _check_path(path: str) -> None:
    if not path.startswith("$") or len(path) > MAX_PATH_CHARS:
        raise ValueError(f"{path!r} is not a JSONPath starting with '$' (at most 500 characters)")
    try:
        _compiled(path)
    except (JSONPathError, ValueError, TypeError, AttributeError) as error:
        raise ValueError(f"{path!r} is not a valid JSONPath: {error}") from None


def check_input_mapping(mapping: InputMapping) -> None:
    """Check a spec's ``trigger.input`` when the spec is saved.

    Raises:
        ValueError: A path does not parse, a field name is empty, or there are too many fields.
    """
    if mapping is None:
        return
    if isinstance(mapping, str):
        _check_path(mapping)
        return
    if len(mapping) > MAX_FIELDS:
        raise ValueError(f"an input mapping has at most {MAX_FIELDS} fields")
    for field, path in mapping.items():
        if not field:
            raise ValueError("input field names must not be empty")
        _check_path(path)


def _select(path: str, payload: Any) -> list[Any]:
    try:
        return [match.value for match in _compiled(path).find(payload)]
    except Exception as error:  # evaluation of odd data: comparisons of mixed types, ...
        raise PermanentError(
            "input_mapping_failed", f"the JSONPath {path} cannot be applied to this payload"
        ) from error


def _one(values: list[Any]) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def map_input(mapping: InputMapping, payload: Any) -> dict[str, Any]:
    """The run input for ``payload`` (see the module docstring).

    Args:
        mapping: The spec's ``trigger.input``, already checked.
        payload: The parsed webhook body.

    Returns:
        The run's input object.

    Raises:
        PermanentError: Code ``input_mapping_failed`` (HTTP 400).
    """
    if mapping is None:
        return {"payload": payload}
    if isinstance(mapping, str):
        selected = _one(_select(mapping, payload))
        if selected is None:
            return {}
        return selected if isinstance(selected, dict) else {"value": selected}
    return {field: _one(_select(path, payload)) for field, path in mapping.items()}
