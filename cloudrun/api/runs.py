"""Runs: start one manually, read one (optionally waiting for its end), list them, cancel one.

``POST /v1/agents/{id}/runs`` answers 202: the run is accepted and queued on ``run-requested``;
the pipeline carries on asynchronously (follow ``GET /v1/runs/{id}/events``). The body's
``environment`` (``dev``, ``staging``, ``prod``; ``prod`` by default) says which version runs:
the one that environment runs now, pinned on the run with the environment's name.

It honours ``Idempotency-Key`` (IETF draft-ietf-httpapi-idempotency-key-header): a Structured
Field string (``"8e03978e-..."``; a bare token is accepted too), 1 to 255 printable ASCII
characters, scoped to the caller's organisation and kept 24 hours. A retry with the same key
and body gets the first response again (with ``Idempotent-Replayed: true``) and no new run; the
same key with another body is 422 ``idempotency_key_reused``; a retry while the first request
is still being processed is 409 ``idempotency_key_in_flight``. A failed first request frees
the key.

``GET /v1/runs/{id}?wait=<seconds>`` (0 to 60, default 0) holds the request until the run is
terminal or the wait passes, then answers with the run as it is (check ``status``): the run
store is read (:mod:`shared.pipeline.waiting`) every ``RUN_WAIT_POLL_INTERVAL_S`` (0.5 s by
default), so an ending is seen at most that late. Each wait holds one of the instance's request
threads.

``POST /v1/runs/{id}/cancel`` cancels a run that has not ended (see
:mod:`shared.pipeline.cancellation`): 200 with the run, also when it was cancelled already; 409
``run_already_terminal`` when it ended otherwise.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from pydantic import Field

from cloudrun.api.audit import caller_actor, describe_change
from cloudrun.api.context import caller_org_id, dependencies
from cloudrun.api.wire import invalid_parameter, page_args, parse_body
from shared.domain.base import Model
from shared.domain.environments import DEFAULT_ENVIRONMENT, Environment
from shared.domain.runs import RunStatus
from shared.pipeline.cancellation import cancel_run
from shared.pipeline.trigger import request_run
from shared.pipeline.waiting import wait_for_end
from shared.triggers.idempotency import request_run_once

bp = Blueprint("runs", __name__)

IDEMPOTENCY_KEY = "Idempotency-Key"
_KEY = re.compile(r"[\x20-\x7e]{1,255}")
MAX_WAIT_S = 60.0


class RunRequest(Model):
    """Body of ``POST /v1/agents/{id}/runs``; an empty body is an empty input in ``prod``.

    Attributes:
        input: The run's input object, at most 256 KiB as JSON.
        environment: The environment to run in (``dev``, ``staging``, ``prod``): the run pins
            the version it runs now.
    """

    schema_version: Literal[1] = 1
    input: dict[str, Any] = Field(default_factory=dict)
    environment: Environment = DEFAULT_ENVIRONMENT


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
    """Start a run of the version the requested environment (``prod`` by default) runs: 202
    with the run and a ``Location``."""
    body = parse_body(RunRequest)
    key = _idempotency_key()
    deps, org_id = dependencies(), caller_org_id()
    if key is None:
        run = request_run(deps, org_id, agent_id, body.input, environment=body.environment)
        describe_change(run.run_id, agent_id=agent_id, environment=body.environment)
        return jsonify(run), 202, {"Location": url_for(".get_run", run_id=run.run_id)}
    outcome = request_run_once(deps, org_id, agent_id, body.input, key, body.environment)
    describe_change(outcome.body["run_id"], agent_id=agent_id, environment=body.environment)
    headers = {"Location": url_for(".get_run", run_id=outcome.body["run_id"])}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return jsonify(outcome.body), outcome.status, headers


def _wait_arg() -> float:
    """The ``wait`` query parameter: seconds, 0 to ``MAX_WAIT_S``; 0 when absent.

    Raises:
        InvalidRequestError: Code ``invalid_parameter``: not a number in range.
    """
    raw = request.args.get("wait", "0")
    try:
        wait_s = float(raw)
    except ValueError:
        wait_s = math.nan
    if not 0 <= wait_s <= MAX_WAIT_S:  # also refuses nan
        raise invalid_parameter("wait", f"must be a number of seconds from 0 to {MAX_WAIT_S:g}")
    return wait_s


@bp.get("/runs/<run_id>")
def get_run(run_id: str) -> Response:
    """The run; with ``?wait=<seconds>``, once it is terminal or the wait has passed."""
    wait_s = _wait_arg()
    interval = float(current_app.config.get("RUN_WAIT_POLL_INTERVAL_S", 0.5))
    return jsonify(wait_for_end(dependencies().runs, run_id, caller_org_id(), wait_s, interval))


@bp.post("/runs/<run_id>/cancel")
def cancel(run_id: str) -> Response:
    """Cancel the run: 200 with it, ``cancelled`` (idempotent); 409 when it has ended."""
    return jsonify(cancel_run(dependencies(), caller_org_id(), run_id, caller_actor()))


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
