"""API keys of the caller's organisation: ``/v1/keys`` (``admin`` scope).

``POST /v1/keys`` mints a key (201; the full key is in this response and never again),
``GET /v1/keys`` lists them (oldest first, ``page_size`` and ``page_token`` as every list),
``POST /v1/keys/{id}/revoke`` revokes one (effective on every instance within 5 s),
``POST /v1/keys/{id}/rotate`` mints its successor, the old key working on for
``grace_period_s``.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, url_for

from cloudrun.api.audit import describe_change
from cloudrun.api.context import api_context, caller_org_id, dependencies
from cloudrun.api.wire import page_args, parse_body
from shared.auth import keys as use_cases
from shared.auth.key_pages import list_key_page
from shared.auth.keys import NewApiKey, RotateApiKey

bp = Blueprint("keys", __name__, url_prefix="/keys")


@bp.post("")
def create_key() -> tuple[Response, int, dict[str, str]]:
    """Mint a key: 201 with ``{"key", "api_key"}``."""
    created = use_cases.create_key(dependencies(), caller_org_id(), parse_body(NewApiKey))
    view = created.api_key
    describe_change(view.key_id, name=view.name, scopes=list(view.scopes), mode=view.mode)
    return jsonify(created), 201, {"Location": url_for(".list_keys")}


@bp.get("")
def list_keys() -> Response:
    """One page of the organisation's keys, oldest first: ``{"items", "next_page_token"}``."""
    page_size, page_token = page_args()
    page = list_key_page(
        dependencies(), caller_org_id(), page_size=page_size, page_token=page_token
    )
    return jsonify(page)


@bp.post("/<key_id>/revoke")
def revoke_key(key_id: str) -> Response:
    """Revoke the key (idempotent): the key's record."""
    view = use_cases.revoke_key(dependencies(), caller_org_id(), key_id)
    api_context().authenticator.forget(key_id)
    return jsonify(view)


@bp.post("/<key_id>/rotate")
def rotate_key(key_id: str) -> tuple[Response, int]:
    """Mint the key's successor: 201 with ``{"key", "api_key"}``."""
    body = parse_body(RotateApiKey)
    created = use_cases.rotate_key(dependencies(), caller_org_id(), key_id, body)
    api_context().authenticator.forget(key_id)
    describe_change(successor_key_id=created.api_key.key_id, grace_period_s=body.grace_period_s)
    return jsonify(created), 201
