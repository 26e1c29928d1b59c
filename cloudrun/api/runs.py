"""Runs: start one manually, read one, list them.

``POST /v1/agents/{id}/runs`` answers 202: the run is accepted and queued on ``run-requested``;
the pipeline carries on asynchronously (follow ``GET /v1/runs/{id}/events``).
"""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, Response, jsonify, request, url_for
from pydantic import Field

from cloudrun.api.context import caller_org_id, dependencies
from cloudrun.api.wire import invalid_parameter, page_args, parse_body
from shared.domain.base import Model
from shared.domain.runs import RunStatus
from shared.pipeline.trigger import request_run

bp = Blueprint("runs", __name__)


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


@bp.post("/agents/<agent_id>/runs")
def trigger_run(agent_id: str) -> tuple[Response, int, dict[str, str]]:
    """Start a run of the agent's latest version: 202 with the run and a ``Location``."""
    body = parse_body(RunRequest)
    run = request_run(dependencies(), caller_org_id(), agent_id, body.input)
    return jsonify(run), 202, {"Location": url_for(".get_run", run_id=run.run_id)}


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
