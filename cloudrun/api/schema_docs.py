"""Field descriptions for the OpenAPI schemas, from the models' Google-style docstrings.

Switchyard's models document their fields in an ``Attributes:`` section (STYLE.md); pydantic
does not read those, so the document builder copies each into its property's ``description``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, get_args

from pydantic import BaseModel

# Fields many models share, described once.
COMMON_FIELD_DOCS = {
    "schema_version": "Version of this document's shape; fields are only ever added within it.",
    "type": "Which kind of object this is (the discriminator).",
}
_ATTRIBUTE = re.compile(r"^(\w+)(?: \([^)]*\))?: (.*)$")


def attribute_docs(model: type[BaseModel]) -> dict[str, str]:
    """Field descriptions from the Google-style ``Attributes:`` sections of a model's classes."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        lines = (cls.__doc__ or "").splitlines()
        current = None
        inside = False
        for line in lines:
            stripped = line.strip()
            if stripped == "Attributes:":
                inside = True
                continue
            if not inside:
                continue
            if not stripped or not line.startswith(" "):
                inside = stripped != "" and inside
                current = None if not stripped else current
                continue
            match = _ATTRIBUTE.match(stripped)
            if match and match[1] in model.model_fields:
                current = match[1]
                docs[current] = match[2]
            elif current:
                docs[current] += " " + stripped
    for name, info in model.model_fields.items():
        if info.alias and name in docs:
            docs[info.alias] = docs[name]
    return docs


def _reachable_models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    stack = [model]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        yield current
        for info in current.model_fields.values():
            stack += _model_types(info.annotation)


def _model_types(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _model_types(arg)]


def describe_fields(schemas: dict[str, Any], models: list[type[BaseModel]]) -> None:
    """Give every property without a description the one its model's docstring has."""
    for root in models:
        for model in _reachable_models(root):
            docs = attribute_docs(model)
            for name, schema in schemas.items():
                base = re.sub(r"\W", "_", model.__name__)
                if name != base and not name.startswith(base + "-"):
                    continue
                for field, prop in schema.get("properties", {}).items():
                    text = docs.get(field) or COMMON_FIELD_DOCS.get(field)
                    if "description" not in prop and text:
                        prop["description"] = text
