"""People of the caller's organisation: ``/v1/members`` (``admin``: owners and admin keys), and
``GET /v1/me``, who the caller is (any authenticated caller).

``POST /v1/members`` adds a person by Firebase uid or email with a role (201), or sets the role
of a member (200); ``GET /v1/members`` lists members by uid (cursor pagination);
``DELETE /v1/members/{uid}`` removes one (204): their ID tokens stop working for the
organisation from the next request.
"""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, Response, g, jsonify

from cloudrun.api.audit import caller_actor, describe_change
from cloudrun.api.context import api_context, caller_org_id, dependencies
from cloudrun.api.wire import page_args, parse_body
from shared.auth import members as use_cases
from shared.auth.members import NewMember
from shared.domain.agents import Scope
from shared.domain.base import Model
from shared.domain.members import Role

bp = Blueprint("members", __name__)


class Me(Model):
    """Who the caller is.

    Attributes:
        actor: ``api_key:<key_id>`` or ``user:<uid>`` (as the audit log names it).
        kind: ``api_key`` or ``user``.
        org_id: The organisation the request acts for.
        scopes: What the caller may do.
        uid: A person's Firebase uid (users only).
        role: A person's role in the organisation (users only).
        api_key_id: The key's id (keys only).
    """

    actor: str
    kind: Literal["api_key", "user"]
    org_id: str
    scopes: tuple[Scope, ...]
    uid: str | None = None
    role: Role | None = None
    api_key_id: str | None = None


@bp.get("/me")
def get_me() -> Response:
    """The caller: actor, organisation, scopes (and uid and role, or key id)."""
    return jsonify(
        Me(
            actor=caller_actor(),
            kind="user" if "uid" in g else "api_key",
            org_id=caller_org_id(),
            scopes=g.scopes,
            uid=g.get("uid"),
            role=g.get("role"),
            api_key_id=g.get("api_key_id"),
        )
    )


@bp.post("/members")
def add_member() -> tuple[Response, int]:
    """Add a person (201) or set a member's role (200): the membership."""
    membership, created = use_cases.add_member(
        dependencies(),
        caller_org_id(),
        parse_body(NewMember),
        caller_actor(),
        # Firebase is reached only when the person is named by email.
        lambda email: api_context().id_tokens.uid_for_email(email),
    )
    describe_change(membership.uid, role=membership.role)
    return jsonify(membership), 201 if created else 200


@bp.get("/members")
def list_members() -> Response:
    """The organisation's members by uid: ``{"items", "next_page_token"}``."""
    page_size, page_token = page_args()
    return jsonify(use_cases.list_members(dependencies(), caller_org_id(), page_size, page_token))


@bp.delete("/members/<uid>")
def remove_member(uid: str) -> tuple[str, int]:
    """Remove the member: 204."""
    use_cases.remove_member(dependencies(), caller_org_id(), uid)
    return "", 204
