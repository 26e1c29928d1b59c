"""Traces: every model request and response and every tool input and output, in Cloud Storage."""

from __future__ import annotations

import json
from typing import Any

from shared import resources
from shared.composition import Dependencies
from shared.domain.runs import Run
from shared.domain.steps import ModelStep, ToolCallResult
from shared.errors import NotFoundError


def trace_name(run: Run, part: str) -> str:
    """Object name of a trace part: ``runs/<org_id>/<run_id>/<part>.json``."""
    return f"runs/{run.org_id}/{run.run_id}/{part}.json"


def write_trace(deps: Dependencies, run: Run, part: str, body: dict[str, Any]) -> str:
    """Store ``body`` as JSON under the run's trace prefix; returns the ``gs://`` URI.

    Writing the same part again overwrites it with what a retry produced, so a trace always
    shows the attempt whose result was kept.

    Raises:
        TransientError: Storage is unavailable.
    """
    data = json.dumps(body, default=str, ensure_ascii=False).encode()
    return deps.blobs.put(
        resources.TRACES_BUCKET_SUFFIX, trace_name(run, part), data, "application/json"
    )


def read_trace(deps: Dependencies, uri: str | None) -> dict[str, Any] | None:
    """One record's trace: ``{"uri", "content"}``, ``{"uri", "error": {"code", "detail"}}``
    (code ``trace_missing`` when lifecycle retention removed it, ``trace_unreadable`` when it is
    not JSON), or None when the record has no trace.

    Raises:
        TransientError: Storage is unavailable.
    """
    if uri is None:
        return None
    try:
        return {"uri": uri, "content": json.loads(deps.blobs.get(uri))}
    except NotFoundError:
        error = {"code": "trace_missing", "detail": "the trace object no longer exists"}
    except ValueError:
        error = {"code": "trace_unreadable", "detail": "the trace object is not JSON"}
    return {"uri": uri, "error": error}


def _with_trace(deps: Dependencies, record: ModelStep | ToolCallResult) -> dict[str, Any]:
    return {**record.model_dump(mode="json"), "trace": read_trace(deps, record.trace_uri)}


def run_trace(deps: Dependencies, org_id: str, run_id: str) -> dict[str, Any]:
    """A run's model steps and tool calls with their trace bodies.

    Returns:
        ``{"run_id", "status", "steps": [...], "tool_calls": [...]}``; steps in order, tool
        calls by (step, call_index), each with a ``trace`` member (see :func:`read_trace`).

    Raises:
        NotFoundError: No such run in the organisation.
        TransientError: A store is unavailable.
    """
    run = deps.runs.get_run(run_id, org_id)
    return {
        "run_id": run.run_id,
        "status": run.status,
        "steps": [_with_trace(deps, step) for step in deps.runs.list_steps(run_id)],
        "tool_calls": [_with_trace(deps, r) for r in deps.runs.list_tool_results(run_id)],
    }
