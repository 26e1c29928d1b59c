"""Runs: start one manually, read one, list them.

``POST /v1/agents/{id}/runs`` answers 202: the run is accepted and queued on ``run-requested``;
the pipeline carries on asynchronously (follow ``GET /v1/runs/{id}/events``).

It honours ``Idempotency-Key`` (IETF draft-ietf-httpapi-idempotency-key-header): a Structured
Field string (``"8e03978e-..."``; a bare token is accepted too), 1 to 255 printable ASCII
characters, scoped to the caller's organisation and kept 24 hours. A retry with the same key
and body gets the first response again (with ``Idempotent-Replayed: true``) and no new run; the
same key with another body is 422 ``idempotency_key_reused``; a retry while the first request
is still being processed is 409 ``idempotency_key_in_flight``. A failed first request frees
the key.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from flask import Blueprint, Response, jsonify, request, url_for
from pydantic import Field

from cloudrun.api.context import caller_org_id, dependencies
from cloudrun.api.wire import invalid_parameter, page_args, parse_body
from shared.domain.base import Model
from shared.domain.runs import RunStatus
from shared.pipeline.trigger import request_run
from shared.triggers.idempotency import request_run_once

bp = Blueprint("runs", __name__)

IDEMPOTENCY_KEY = "Idempotency-Key"
_KEY = re.compile(r"[\x20-\x7e]{1,255}")


class RunRequest(Model):
    """Body of ``POST /v1/agents/{id}/runs``; an empty body is an empty input.

    Attributes:
        input: The run's input object, at most 256 KiB as JSON.
    """

    schema_version: Literal[1] = 1
    input: dict[str, Any] = Field(default_factory=dict)


def _status_arg() -> RunStatus | None:
    """The ``status`` query parameter.

    Raises:
        InvalidRequestError: Code ``invalid_parameter``: not a run status.
    """
    raw = request.args.get("status")
    if not raw:
        return None
    try:
        return RunStatus(raw)
    except ValueError:
        valid = ", ".join(status.value for status in RunStatus)
        raise invalid_parameter("status", f"must be one of {valid}") from None


def _idempotency_key() -> str | None:
    """The ``Idempotency-Key`` header's key, or None without one.

    Raises:
        InvalidRequestError: Code ``invalid_parameter``: empty, too long, or not printable.
    """
    raw = request.headers.get(IDEMPOTENCY_KEY)
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':  # an RFC 8941 sf-string
        key = re.sub(r'\\(["\\])', r"\1", key[1:-1])
    if not _KEY.fullmatch(key):
        raise invalid_parameter(IDEMPOTENCY_KEY, "must be 1 to 255 printable ASCII characters")
    return key


@bp.post("/agents/<agent_id>/runs")
def trigger_run(agent_id: str) -> tuple[Response, int, dict[str, str]]:
    """Start a run of the agent's latest version: 202 with the run and a ``Location``."""
    body = parse_body(RunRequest)
    key = _idempotency_key()
    deps, org_id = dependencies(), caller_org_id()
    if key is None:
        run = request_run(deps, org_id, agent_id, body.input)
        return jsonify(run), 202, {"Location": url_for(".get_run", run_id=run.run_id)}
    outcome = request_run_once(deps, org_id, agent_id, body.input, key)
    headers = {"Location": url_for(".get_run", run_id=outcome.body["run_id"])}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return jsonify(outcome.body), outcome.status, headers


@bp.get("/runs/<run_id>")
def get_run(run_id: str) -> Response:
    """The run."""
    return jsonify(dependencies().runs.get_run(run_id, caller_org_id()))


@bp.get("/runs")
def list_runs() -> Response:
    """The organisation's runs, newest first, optionally by ``agent_id`` and ``status``.

    Returns ``{"items", "next_page_token"}``; an unknown ``status`` is a 400 problem.
    """
    page_size, page_token = page_args()
    page = dependencies().runs.list_runs(
        caller_org_id(),
        agent_id=request.args.get("agent_id") or None,
        status=_status_arg(),
        page_size=page_size,
        page_token=page_token,
    )
    return jsonify(page)
