"""The OpenAPI 3.1 document of the API, built from the app's routes and the pydantic models.

``GET /openapi.json`` serves it and ``GET /docs`` renders it as one HTML page, server-side (no
script, no CDN). The document walks ``app.url_map``, so every route is in it; what a route does
comes from :data:`cloudrun.api.openapi_operations.OPERATIONS`, its scope from
:func:`cloudrun.api.auth.required_scope`, its schemas from ``model_json_schema`` (requests in
validation mode, responses in serialization mode), its error codes from
:func:`cloudrun.api.error_catalogue.error_catalogue`. A route with no declared operation gets a
stub marked ``x-undocumented`` (``tests/unit/test_api_openapi.py`` refuses those).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from werkzeug.routing import Rule

from cloudrun.api.auth import required_scope
from cloudrun.api.error_catalogue import error_catalogue
from cloudrun.api.openapi_operations import OPERATIONS, SPEC_BODY, Operation, Schema
from cloudrun.api.problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_PREFIX
from cloudrun.api.reference import render_reference
from cloudrun.api.schema_docs import describe_fields
from shared.auth.api_keys import KEY_PREFIX
from shared.domain.spec import AgentSpec

bp = Blueprint("docs", __name__)

API_VERSION = "1"
REF = "#/components/schemas/{model}"
IGNORED_ENDPOINTS = frozenset({"static"})
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
DESCRIPTION = f"""\
Switchyard runs AI agents on Google Cloud. Every `/v1` route needs
`Authorization: Bearer <API key>` and sees only the key's organisation: another organisation's
resource is 404.

**API keys** read `{KEY_PREFIX}<key_id>_<secret><checksum>` (or `sy_test_...`): 16 hex digits of
public id, 32 base62 characters of secret (190 bits) and a 6-character base62 CRC32 checksum
that refuses typos before any lookup. Each key has scopes (`admin` includes all); a route's
scope is in its `x-required-scope`; a key without it gets 403 `insufficient_scope`.

**People** who sign in with Firebase Authentication send their Firebase ID token instead of a
key (revoked tokens and disabled users are refused: 401 `id_token_revoked`, `user_disabled`).
They act for the organisation named in the `X-Switchyard-Org` header, or for their only one
(403 `no_membership`, `not_a_member`; 400 `org_required` when they belong to several), with the
scopes of their role there: `owner` has `admin`; `developer` has `agents:read|write`,
`runs:read|write` and `credentials:write`; `viewer` has `agents:read` and `runs:read`.

**Failed authentication** is limited per client address: past a burst, 429
`auth_failures_rate_limited` with `Retry-After`; only refusals that cost a lookup count (a
well-formed key or an ID token that is wrong), never a request refused offline. `OPTIONS` (CORS
preflight) needs no credentials.

**Rate limit**: each key may make `RATE_LIMIT_PER_S` requests a second (bursts of
`RATE_LIMIT_BURST`) *per API instance*; over it, 429 `rate_limited` with `Retry-After`.

**Errors** are `application/problem+json` (RFC 9457) with a stable `code`; the `Problem`
schema's `x-error-codes` lists every code with its status.
"""


def openapi_path(rule: Rule) -> str:
    """A Flask rule as an OpenAPI path: ``/v1/agents/<agent_id>`` -> ``/v1/agents/{agent_id}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def routes(app: Flask) -> Iterator[tuple[Rule, str]]:
    """Every documented-worthy ``(rule, method)`` of the app, by path then method."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            yield rule, method


def undocumented_routes(app: Flask) -> list[str]:
    """``"METHOD /path (endpoint)"`` for each route with no entry in ``OPERATIONS``."""
    return [
        f"{method} {openapi_path(rule)} ({rule.endpoint})"
        for rule, method in routes(app)
        if rule.endpoint not in OPERATIONS
    ]


def _problem_schema() -> dict[str, Any]:
    return {
        "title": "Problem",
        "description": "An RFC 9457 problem document.",
        "type": "object",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": {"type": "string", "description": f"`{PROBLEM_TYPE_PREFIX}<code>`"},
            "title": {"type": "string", "description": "The status's reason phrase."},
            "status": {"type": "integer", "description": "The HTTP status."},
            "detail": {"type": "string", "description": "This occurrence, for people."},
            "code": {"type": "string", "description": "Stable code: see `x-error-codes`."},
            "errors": {
                "type": "array",
                "description": "Validation errors: every bad field.",
                "items": {
                    "type": "object",
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                },
            },
        },
        "x-error-codes": [
            {"code": e.code, "status": e.status, "description": e.description}
            for e in error_catalogue()
        ],
    }


def _schema_ref(schema: Schema | None, keymap: Mapping[Any, Any], mode: str) -> dict[str, Any]:
    if schema is None:
        return {}
    if schema is SPEC_BODY:
        return {"$ref": REF.format(model="AgentSpecDocument")}
    if isinstance(schema, type):
        return dict(keymap[(schema, mode)])
    return dict(schema)


def _problem(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": HTTPStatus(status).phrase,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": REF.format(model="Problem")}}},
    }
    headers = {}
    if status in (429, 503):
        headers["Retry-After"] = {"description": "Seconds to wait.", "schema": {"type": "string"}}
    if status == 401:
        headers["WWW-Authenticate"] = {"schema": {"type": "string"}}
    if headers:
        response["headers"] = headers
    return response


def _operation(rule: Rule, method: str, op: Operation, keymap: Mapping[Any, Any]) -> dict[str, Any]:
    path_params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in sorted(rule.arguments)
    ]
    statuses = set(op.errors)
    if not op.public:
        statuses |= {401, 403, 429, 503}
    if path_params:
        statuses.add(404)
    if op.parameters:
        statuses.add(400)
    if any(parameter["name"] == "page_token" for parameter in op.parameters):
        statuses.add(422)  # invalid_page_token: a token this listing did not issue
    document: dict[str, Any] = {
        "operationId": rule.endpoint.replace(".", "_") + "_" + method.lower(),
        "summary": op.summary,
        "description": op.description,
        "tags": [rule.rule.split("/")[2] if rule.rule.startswith("/v1/") else "service"],
        "parameters": [*path_params, *(dict(p) for p in op.parameters)],
        "responses": {},
    }
    if op.public:
        document["security"] = []
    else:
        scope = required_scope(rule.endpoint, method)
        document["x-required-scope"] = scope  # null: any authenticated caller
        document["description"] += (
            f"\n\nRequires the `{scope}` scope." if scope else "\n\nAny authenticated caller."
        )
    if op.request is not None:
        statuses |= {400, 413, 415, 422}
        content = {"application/json": {"schema": _schema_ref(op.request, keymap, "validation")}}
        if op.request is SPEC_BODY:
            content["application/yaml"] = {"schema": {"type": "string"}}
        document["requestBody"] = {"required": op.body_required, "content": content}
    for status, schema in sorted(op.responses.items()):
        response: dict[str, Any] = {"description": HTTPStatus(status).phrase}
        if schema is not None:
            ref = _schema_ref(schema, keymap, "serialization")
            response["content"] = {op.media_type: {"schema": ref}}
        document["responses"][str(status)] = response
    for status in sorted(statuses):
        document["responses"][str(status)] = _problem(status)
    return document


def _models() -> list[tuple[type[BaseModel], Any]]:
    models: list[tuple[type[BaseModel], Any]] = [(AgentSpec, "validation")]
    for op in OPERATIONS.values():
        if isinstance(op.request, type):
            models.append((op.request, "validation"))
        models += [(s, "serialization") for s in op.responses.values() if isinstance(s, type)]
    return list(dict.fromkeys(models))


def build_openapi(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``app``.

    Args:
        app: The API app (its routes are read from ``app.url_map``).

    Returns:
        The document as JSON-ready data.
    """
    keymap, definitions = models_json_schema(_models(), ref_template=REF)
    schemas: dict[str, Any] = dict(definitions.get("$defs", {}))
    schemas["AgentSpecDocument"] = {
        "type": "object",
        "description": "An agent spec document (as JSON; the same as YAML under `agent:`).",
        "required": ["agent"],
        "examples": [{"agent": {"name": "price-monitor", "system_prompt": "You watch prices."}}],
        "properties": {
            "agent": {**keymap[(AgentSpec, "validation")], "description": "The agent's spec."}
        },
    }
    describe_fields(schemas, [model for model, _ in _models()])
    schemas["Problem"] = _problem_schema()
    paths: dict[str, dict[str, Any]] = {}
    for rule, method in routes(app):
        op = OPERATIONS.get(rule.endpoint)
        if op is None:
            entry = _operation(rule, method, Operation("Undocumented"), keymap)
            entry["x-undocumented"] = True
        else:
            entry = _operation(rule, method, op, keymap)
        paths.setdefault(openapi_path(rule), {})[method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "Switchyard API", "version": API_VERSION, "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": f"{KEY_PREFIX}<key_id>_<secret><checksum>",
                }
            },
        },
    }


def _document() -> dict[str, Any]:
    cached = current_app.extensions.get("switchyard_openapi")
    if cached is None:
        cached = current_app.extensions["switchyard_openapi"] = build_openapi(current_app)
    return dict(cached)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document (no key needed)."""
    return jsonify(_document())


@bp.get("/docs")
def reference() -> Response:
    """The API reference, rendered from the document as one HTML page."""
    return Response(render_reference(_document()), mimetype="text/html")
