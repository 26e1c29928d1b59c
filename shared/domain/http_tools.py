"""User-defined HTTP tools of an agent spec (``http_tools``).

Each is a name, a description and a JSON Schema the model sees, and a request the proxy makes:
method, URL template and optionally a credential. The template's scheme and host are fixed by the
spec (placeholders are allowed in the path and query only), so the model chooses values, never
the target; the proxy validates the input against the schema before calling.
"""

from __future__ import annotations

import re
import string
from typing import Any, Literal

import jsonschema
from pydantic import Field, field_validator, model_validator

from shared.domain.base import Model

TOOL_NAME = r"^[a-z][a-z0-9_]{0,63}$"


class HttpToolSpec(Model):
    """A user-defined HTTP tool.

    Attributes:
        name: Tool name the model calls (lowercase, digits, underscores).
        description: What the model is told it does.
        input_schema: JSON Schema (2020-12) of its arguments; an object schema.
        method: HTTP method.
        url: URL template, e.g. ``https://api.example.com/tickets/{ticket_id}``: placeholders
            name properties of the input and are URL-encoded; the host is fixed.
        credential: Id of a credential to inject (within its grant to the agent), or None.
        timeout_s: Time limit of one call, in seconds.
        max_bytes: Largest response body returned to the model, in bytes.
    """

    name: str = Field(pattern=TOOL_NAME)
    description: str = Field(min_length=1, max_length=2000)
    input_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str
    credential: str | None = None
    timeout_s: float = Field(default=10.0, gt=0, le=60)
    max_bytes: int = Field(default=100_000, ge=1, le=500_000)

    @field_validator("input_schema")
    @classmethod
    def _valid_schema(cls, schema: dict[str, Any]) -> dict[str, Any]:
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as error:
            raise ValueError(f"input_schema is not a valid JSON Schema: {error.message}") from None
        if schema.get("type") != "object":
            raise ValueError("input_schema must describe an object (type: object)")
        return schema

    @model_validator(mode="after")
    def _fixed_target(self) -> HttpToolSpec:
        match = re.match(r"^https?://([^/?#]+)", self.url)
        if match is None:
            raise ValueError("url must be an absolute http(s) URL template")
        if "{" in match.group(1) or "}" in match.group(1):
            raise ValueError("url: the scheme and host cannot hold placeholders")
        return self

    def placeholders(self) -> tuple[str, ...]:
        """Names of the template's placeholders."""
        return tuple(f for _, f, _, _ in string.Formatter().parse(self.url) if f)
