"""``GET /v1/runs/{id}/trace``: every model step and tool call of a run, with their bodies.

Firestore keeps the summaries (``list_steps``, ``list_tool_results``); the full model requests
and responses and the tool inputs and outputs are JSON objects in Cloud Storage at each record's
``trace_uri``. Each item gets a ``trace`` member:

- ``{"uri": ..., "content": <the stored JSON>}``, or
- ``{"uri": ..., "error": {"code": "trace_missing" | "trace_unreadable", "detail": ...}}`` when
  the object is gone (lifecycle retention) or is not JSON, or
- ``null`` when the record has no trace.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint

from cloudrun.api.context import caller_org_id, dependencies
from shared.domain.steps import ModelStep, ToolCallResult
from shared.errors import NotFoundError
from shared.ports.blob_store import BlobStore

bp = Blueprint("trace", __name__)


def read_trace(blobs: BlobStore, uri: str | None) -> dict[str, Any] | None:
    """The trace member of one item (see the module docstring).

    Raises:
        TransientError: Storage is unavailable.
    """
    if uri is None:
        return None
    try:
        return {"uri": uri, "content": json.loads(blobs.get(uri))}
    except NotFoundError:
        error = {"code": "trace_missing", "detail": "the trace object no longer exists"}
    except ValueError:
        error = {"code": "trace_unreadable", "detail": "the trace object is not JSON"}
    return {"uri": uri, "error": error}


def _with_trace(blobs: BlobStore, record: ModelStep | ToolCallResult) -> dict[str, Any]:
    return {**record.model_dump(mode="json"), "trace": read_trace(blobs, record.trace_uri)}


@bp.get("/runs/<run_id>/trace")
def get_trace(run_id: str) -> dict[str, Any]:
    """The run's model steps and tool calls with their trace bodies.

    Returns ``{"run_id", "status", "steps": [...], "tool_calls": [...]}``; steps in order, tool
    calls by (step, call_index).
    """
    deps = dependencies()
    run = deps.runs.get_run(run_id, caller_org_id())
    return {
        "run_id": run.run_id,
        "status": run.status,
        "steps": [_with_trace(deps.blobs, step) for step in deps.runs.list_steps(run_id)],
        "tool_calls": [
            _with_trace(deps.blobs, result) for result in deps.runs.list_tool_results(run_id)
        ],
    }
