"""Switchyard's public HTTPS API (Cloud Run service ``api``): a Flask app factory.

Routes (JSON; every ``/v1`` route needs ``Authorization: Bearer <API key or Firebase ID token>``
and sees only the caller's organisation; another organisation's resource is 404):

=======  ==============================  ===========================================
Method   Path                            Blueprint
=======  ==============================  ===========================================
POST     /v1/agents                      :mod:`cloudrun.api.agents` (201)
GET      /v1/agents                      :mod:`cloudrun.api.agents` (paginated)
GET      /v1/agents/{id}                 :mod:`cloudrun.api.agents`
PUT      /v1/agents/{id}                 :mod:`cloudrun.api.agents` (new version)
GET      /v1/agents/{id}/versions        :mod:`cloudrun.api.agents` (paginated)
POST     /v1/agents/{id}/deactivate      :mod:`cloudrun.api.agents` (and ``/activate``)
POST     /v1/agents/{id}/trigger/        :mod:`cloudrun.api.agents` (webhook secret rotation)
         rotate-secret
GET      /v1/agents/{id}/environments    :mod:`cloudrun.api.agents` (dev, staging, prod)
POST     /v1/agents/{id}/environments/   :mod:`cloudrun.api.agents` (and ``/rollback``)
         {env}/promote
POST     /v1/agents/{id}/runs            :mod:`cloudrun.api.runs` (202; ``Idempotency-Key``)
GET      /v1/agents/{id}/eval-stats      :mod:`cloudrun.api.evals` (``?window=1h|24h|7d``)
GET      /v1/runs                        :mod:`cloudrun.api.runs` (paginated)
GET      /v1/runs/{id}                   :mod:`cloudrun.api.runs` (``?wait=<s>``, ≤ 60)
POST     /v1/runs/{id}/cancel            :mod:`cloudrun.api.runs` (409 once ended)
GET      /v1/runs/{id}/events            :mod:`cloudrun.api.events` (SSE)
GET      /v1/runs/{id}/trace             :mod:`cloudrun.api.trace`
GET      /v1/runs/{id}/evals             :mod:`cloudrun.api.evals` (verdicts by gate)
POST     /v1/runs/{id}/approve           :mod:`cloudrun.api.evals` (and ``/reject``)
POST     /v1/hooks/{trigger_id}          :mod:`cloudrun.api.hooks` (no key: a signature)
POST     /v1/keys                        :mod:`cloudrun.api.keys` (201; ``admin`` scope)
GET      /v1/keys                        :mod:`cloudrun.api.keys`
POST     /v1/keys/{id}/revoke            :mod:`cloudrun.api.keys` (and ``/rotate``)
POST     /v1/credentials                 :mod:`cloudrun.api.credentials` (201; ``admin``)
GET      /v1/credentials                 :mod:`cloudrun.api.credentials` (and ``/{id}``)
DELETE   /v1/credentials/{id}            :mod:`cloudrun.api.credentials` (revoke)
POST     /v1/credentials/{id}/grants     :mod:`cloudrun.api.credentials` (grant to an agent)
GET      /v1/audit-events                :mod:`cloudrun.api.audit` (``admin``; paginated)
POST     /v1/members                     :mod:`cloudrun.api.members` (``admin``; add, set role)
GET      /v1/members                     :mod:`cloudrun.api.members` (paginated)
DELETE   /v1/members/{uid}               :mod:`cloudrun.api.members` (204)
GET      /v1/me                          :mod:`cloudrun.api.members` (any caller)
GET      /healthz                        :mod:`cloudrun.api.health` (no key)
GET      /openapi.json                   :mod:`cloudrun.api.openapi` (no key; and ``/docs``)
=======  ==============================  ===========================================

Errors are ``application/problem+json`` (:mod:`cloudrun.api.problems`). Every successful
change through ``/v1`` is recorded in the audit log (:mod:`cloudrun.api.audit`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask

from cloudrun.api import (
    agents,
    audit,
    credentials,
    evals,
    events,
    health,
    hooks,
    keys,
    members,
    openapi,
    runs,
    trace,
)
from cloudrun.api.auth import authenticate
from cloudrun.api.context import EXTENSION_KEY, ApiContext
from cloudrun.api.problems import register_error_handlers
from cloudrun.api.wire import ModelJSONProvider
from shared.composition import Dependencies
from shared.logging import configure_logging
from shared.settings import get_settings

DEFAULT_CONFIG: Mapping[str, Any] = {
    # Bodies above 1 MiB are refused with 413 before they are read; run inputs stop at 256 KiB.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SSE_POLL_INTERVAL_S": 0.25,
    "SSE_HEARTBEAT_S": 15.0,
    # Below Cloud Run's default request timeout (300 s), so the stream ends with its own error
    # event rather than being cut.
    "SSE_MAX_DURATION_S": 290.0,
    # Per API key and per instance (shared/auth/rate_limit.py says why not global).
    "RATE_LIMIT_PER_S": 20.0,
    "RATE_LIMIT_BURST": 100,
    # Failed authentications per client address and instance (cloudrun/api/auth.py).
    "AUTH_FAILURE_RATE_PER_S": 2.0,
    "AUTH_FAILURE_BURST": 60,
    # How often ``GET /v1/runs/{id}?wait=`` reads the run while it waits for its end.
    "RUN_WAIT_POLL_INTERVAL_S": 0.5,
}


def create_app(deps: Dependencies | None = None, config: Mapping[str, Any] | None = None) -> Flask:
    """Create the API app.

    Args:
        deps: Dependencies to serve with (tests pass in-memory twins). None takes the process's
            own, built by :func:`shared.composition.get_dependencies` on the first request that
            needs them, never here.
        config: Flask config overrides, such as ``{"SSE_POLL_INTERVAL_S": 0.01}``; see
            ``DEFAULT_CONFIG``.

    Returns:
        The Flask app, ready for gunicorn (``cloudrun.api.main:app``) or a test client.
    """
    settings = deps.settings if deps is not None else get_settings()
    configure_logging(settings.project_id, settings.log_level)

    app = Flask(__name__)
    app.config.from_mapping(DEFAULT_CONFIG)
    app.config.from_mapping(config or {})
    app.json = ModelJSONProvider(app)
    app.extensions[EXTENSION_KEY] = ApiContext(deps)
    register_error_handlers(app)

    v1 = Blueprint("v1", __name__, url_prefix="/v1")
    v1.before_request(authenticate)
    v1.after_request(audit.record_change)
    for blueprint in (agents.bp, runs.bp, events.bp, trace.bp, evals.bp, keys.bp, credentials.bp):
        v1.register_blueprint(blueprint)
    v1.register_blueprint(audit.bp)
    v1.register_blueprint(members.bp)
    app.register_blueprint(v1)
    app.register_blueprint(hooks.bp)  # outside v1: senders sign instead of sending a key
    app.register_blueprint(health.bp)
    app.register_blueprint(openapi.bp)  # /openapi.json and /docs, no key
    return app
