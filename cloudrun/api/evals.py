"""A run's eval verdicts, and the human review of runs parked for approval.

- ``GET /v1/runs/{id}/evals``: every eval verdict of the run, oldest gate first, each with its
  per-assertion detail and grader exchanges, from the stored verdicts
  (:mod:`shared.pipeline.eval_records`; ``continuous`` ones included). A run decided before
  verdicts were stored gets them from its gate events (``pre_flight`` from
  ``run.approved``/``run.rejected``, ``post_generation`` from ``run.passed``, ``run.blocked`` or
  ``run.awaiting_approval``).
- ``GET /v1/agents/{id}/eval-stats?window=1h|24h|7d`` (default ``24h``): pass rates per eval
  (:mod:`shared.pipeline.eval_stats`).
- ``POST /v1/runs/{id}/approve`` and ``/reject`` (body ``{"note": "..."}``, optional): move an
  ``awaiting_approval`` run on; the reviewer recorded is the calling API key.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from cloudrun.api.audit import caller_actor
from cloudrun.api.context import caller_org_id, dependencies
from cloudrun.api.wire import parse_body
from shared.domain.base import Model
from shared.pipeline.approvals import approve_run, reject_run
from shared.pipeline.eval_stats import eval_stats

bp = Blueprint("evals", __name__)

_GATE_EVENTS = {
    "run.approved": "pre_flight",
    "run.rejected": "pre_flight",
    "run.passed": "post_generation",
    "run.blocked": "post_generation",
    "run.awaiting_approval": "post_generation",
    "run.evaluated": "continuous",
}


# Fields of a stored verdict the response leaves out (``at`` gives its time).
_INTERNAL = {"schema_version", "record_id", "org_id", "created_at"}


class ReviewRequest(Model):
    """Body of approve/reject: an optional note for the event log."""

    note: str = ""


@bp.get("/runs/<run_id>/evals")
def list_evals(run_id: str) -> Response:
    """The run's eval verdicts, oldest gate first: ``{"run_id", "status", "evals": [...]}``."""
    deps = dependencies()
    run = deps.runs.get_run(run_id, caller_org_id())
    stored = deps.eval_results.list_run_results(run_id)
    if stored:
        evals = [
            {
                **r.model_dump(mode="json", exclude=_INTERNAL),
                "gate": r.stage,
                "at": r.created_at,
            }
            for r in stored
        ]
        return jsonify({"run_id": run_id, "status": run.status, "evals": evals})
    verdicts: list[dict[str, Any]] = []
    for event in deps.runs.list_events(run_id, limit=1000):
        gate = _GATE_EVENTS.get(event.type)
        if gate:
            verdicts += [{**v, "gate": gate, "at": event.at} for v in event.data.get("evals", [])]
    return jsonify({"run_id": run_id, "status": run.status, "evals": verdicts})


@bp.get("/agents/<agent_id>/eval-stats")
def agent_eval_stats(agent_id: str) -> Response:
    """Pass rates per eval of the agent over ``?window=`` (``1h``, ``24h``, ``7d``)."""
    window = request.args.get("window", "24h")
    return jsonify(eval_stats(dependencies(), caller_org_id(), agent_id, window))


@bp.post("/runs/<run_id>/approve")
def approve(run_id: str) -> Response:
    """Approve a parked run: 200 with the run (now ``passed``, on its way to delivery)."""
    body = parse_body(ReviewRequest)
    return jsonify(approve_run(dependencies(), caller_org_id(), run_id, caller_actor(), body.note))


@bp.post("/runs/<run_id>/reject")
def reject(run_id: str) -> Response:
    """Reject a parked run: 200 with the run (now ``blocked``; the owner is alerted)."""
    body = parse_body(ReviewRequest)
    return jsonify(reject_run(dependencies(), caller_org_id(), run_id, caller_actor(), body.note))
