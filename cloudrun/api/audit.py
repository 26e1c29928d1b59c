"""The audit log of changes: recorded after every successful change, read at ``/v1/audit-events``.

Every ``/v1`` request with a mutating method (``POST``, ``PUT``, ``PATCH``, ``DELETE``) that
answers 2xx is recorded by :func:`record_change` (an ``after_request`` of the ``v1``
blueprint): who (``g.actor``), the action and resource type of its endpoint (:data:`ACTIONS`;
an endpoint not listed there is recorded under its own name, so a new route is never left
out), the resource id (``g.audit_resource_id`` when the handler set it, else the route's first
path argument, else the last segment of the response's ``Location``), and ``g.audit_details``,
which a handler sets through :func:`describe_change` to say what changed (never a secret). A
replayed idempotent request (``Idempotent-Replayed: true``) changed nothing and is not recorded
again; a handler that found nothing to change sets ``g.audit_skip``.

The change is made before it is recorded: when the record cannot be written, the answer stays
the change's (:mod:`shared.pipeline.audit_events` logs the event instead).

``GET /v1/audit-events`` (``admin`` scope) lists the organisation's events, newest first, with
``resource_type`` and ``resource_id`` filters and cursor pagination.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from flask import Blueprint, Response, g, jsonify, request

from cloudrun.api.auth import READ_METHODS
from cloudrun.api.context import caller_org_id, dependencies
from cloudrun.api.wire import page_args
from shared.pipeline.audit_events import record_change as record_audit_event

bp = Blueprint("audit", __name__, url_prefix="/audit-events")

# Endpoint -> (action, resource type).
ACTIONS: Mapping[str, tuple[str, str]] = {
    "v1.agents.create_agent": ("agent.created", "agent"),
    "v1.agents.update_agent": ("agent.version_created", "agent"),
    "v1.agents.activate_agent": ("agent.activated", "agent"),
    "v1.agents.deactivate_agent": ("agent.deactivated", "agent"),
    "v1.agents.rotate_secret": ("agent.trigger_secret_rotated", "agent"),
    "v1.agents.promote_environment": ("agent.environment_promoted", "agent"),
    "v1.agents.rollback_environment": ("agent.environment_rolled_back", "agent"),
    "v1.runs.trigger_run": ("run.requested", "run"),
    "v1.runs.cancel": ("run.cancelled", "run"),
    "v1.evals.approve": ("run.approved", "run"),
    "v1.evals.reject": ("run.rejected", "run"),
    "v1.keys.create_key": ("api_key.created", "api_key"),
    "v1.keys.revoke_key": ("api_key.revoked", "api_key"),
    "v1.keys.rotate_key": ("api_key.rotated", "api_key"),
    "v1.credentials.create_credential": ("credential.created", "credential"),
    "v1.credentials.revoke_credential": ("credential.revoked", "credential"),
    "v1.credentials.grant_credential": ("credential.granted", "credential"),
    "v1.members.add_member": ("member.added", "member"),
    "v1.members.remove_member": ("member.removed", "member"),
}


def caller_actor() -> str:
    """Who makes the request (``api_key:<key_id>``, ``user:<uid>``), set by authentication."""
    return cast(str, g.actor)


def describe_change(resource_id: str | None = None, **details: Any) -> None:
    """Say what the current request changed, for its audit event.

    Args:
        resource_id: The changed resource, when the route's path does not name it.
        **details: JSON-ready facts about the change (``environment``, ``to_version``); never a
            secret.
    """
    if resource_id is not None:
        g.audit_resource_id = resource_id
    g.audit_details = {**g.get("audit_details", {}), **details}


def _resource_id(response: Response) -> str:
    if "audit_resource_id" in g:
        return str(g.audit_resource_id)
    arguments = request.view_args or {}
    if arguments:
        return str(next(iter(arguments.values())))
    return (response.headers.get("Location") or "").rstrip("/").rpartition("/")[2]


def record_change(response: Response) -> Response:
    """Record the request's change in the audit log (Flask ``after_request`` of ``/v1``).

    Returns:
        ``response``, unchanged, whether or not the event could be stored.
    """
    if (
        request.method in READ_METHODS
        or not 200 <= response.status_code < 300
        or "actor" not in g
        or g.get("audit_skip", False)
        or response.headers.get("Idempotent-Replayed") == "true"
    ):
        return response
    endpoint = request.endpoint or request.path
    action, resource_type = ACTIONS.get(
        endpoint, (endpoint.removeprefix("v1."), endpoint.split(".")[-2])
    )
    record_audit_event(
        dependencies(),
        org_id=caller_org_id(),
        actor=caller_actor(),
        action=action,
        resource_type=resource_type,
        resource_id=_resource_id(response),
        details=g.get("audit_details", {}),
    )
    return response


@bp.get("")
def list_audit_events() -> Response:
    """The organisation's audit events, newest first: ``{"items", "next_page_token"}``.

    ``resource_type`` (``agent``, ``run``, ``api_key``, ``credential``) and ``resource_id``
    (with ``resource_type``) narrow the list.
    """
    page_size, page_token = page_args()
    page = dependencies().audit_events.list_events(
        caller_org_id(),
        resource_type=request.args.get("resource_type") or None,
        resource_id=request.args.get("resource_id") or None,
        page_size=page_size,
        page_token=page_token,
    )
    return jsonify(page)
