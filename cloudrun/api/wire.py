"""Request parsing and JSON encoding shared by the blueprints."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic
from flask import request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

from shared.domain.base import Model
from shared.errors import ValidationError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100

M = TypeVar("M", bound=Model)


class InvalidRequestError(ValidationError):
    """The request itself is malformed (bad JSON, a bad query parameter or header): HTTP 400.

    A well-formed body whose content is wrong stays a :class:`ValidationError` (422).
    """

    http_status = 400


class ModelJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, also encoding pydantic models the way they are documented.

    Models are dumped in JSON mode by alias (an eval's assertions appear as ``assert``, as a
    spec is written), so what the API returns can be sent back unchanged.
    """

    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        """Encode a pydantic model; defer everything else to Flask."""
        if isinstance(o, pydantic.BaseModel):
            return o.model_dump(mode="json", by_alias=True)
        return DefaultJSONProvider.default(o)


def json_object() -> dict[str, Any]:
    """The request body as a JSON object; an empty body is ``{}``.

    Raises:
        UnsupportedMediaType: The body is not ``application/json`` (HTTP 415).
        InvalidRequestError: Code ``invalid_json``: not JSON, or not an object.
    """
    if not request.get_data():
        return {}
    try:
        body = request.get_json()
    except BadRequest as error:  # Flask's own 415 for a non-JSON type is not a BadRequest
        raise InvalidRequestError(
            "invalid_json",
            "the body is not valid JSON",
            errors=[{"field": "body", "message": str(error.description)}],
        ) from None
    if not isinstance(body, dict):
        raise InvalidRequestError(
            "invalid_json",
            "the body must be a JSON object",
            errors=[{"field": "body", "message": "expected an object"}],
        )
    return body


def parse_body(model: type[M]) -> M:
    """The request's JSON body, validated as ``model``.

    Raises:
        UnsupportedMediaType: The body is not ``application/json`` (HTTP 415).
        InvalidRequestError: Code ``invalid_json``.
        ValidationError: Code ``invalid_body``; ``details["errors"]`` names every bad field.
    """
    try:
        return model.model_validate(json_object())
    except pydantic.ValidationError as error:
        errors = [
            {"field": ".".join(str(part) for part in e["loc"]) or "body", "message": e["msg"]}
            for e in error.errors()
        ]
        raise ValidationError(
            "invalid_body", f"the body has {len(errors)} problem(s)", errors=errors
        ) from None


def page_args() -> tuple[int, str | None]:
    """``(page_size, page_token)`` from the query string.

    ``page_size`` is 1 to ``MAX_PAGE_SIZE``, ``DEFAULT_PAGE_SIZE`` when absent; ``page_token`` is
    the ``next_page_token`` of the previous page, or None for the first.

    Raises:
        InvalidRequestError: Code ``invalid_parameter``: ``page_size`` out of range.
    """
    raw = request.args.get("page_size", str(DEFAULT_PAGE_SIZE))
    if not raw.isdecimal() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise invalid_parameter("page_size", f"must be an integer from 1 to {MAX_PAGE_SIZE}")
    return int(raw), request.args.get("page_token") or None


def invalid_parameter(field: str, message: str) -> InvalidRequestError:
    """The error for one bad query parameter or header ``field``."""
    return InvalidRequestError(
        "invalid_parameter", f"{field} {message}", errors=[{"field": field, "message": message}]
    )
