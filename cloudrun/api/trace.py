"""``GET /v1/runs/{id}/trace``: every model step and tool call of a run, with their bodies.

Firestore keeps the summaries; the full model requests and responses and the tool inputs and
outputs are JSON objects in Cloud Storage. :func:`shared.pipeline.trace.run_trace` assembles
them; each item's ``trace`` member is ``{"uri", "content"}``, ``{"uri", "error": {"code":
"trace_missing" | "trace_unreadable", "detail"}}``, or ``null`` when the record has no trace.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from cloudrun.api.context import caller_org_id, dependencies
from shared.pipeline.trace import run_trace

bp = Blueprint("trace", __name__)


@bp.get("/runs/<run_id>/trace")
def get_trace(run_id: str) -> dict[str, Any]:
    """The run's model steps and tool calls with their trace bodies (see the module docstring)."""
    return run_trace(dependencies(), caller_org_id(), run_id)
