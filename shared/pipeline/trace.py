"""Traces: every model request and response and every tool input and output, in Cloud Storage."""

from __future__ import annotations

import json
from typing import Any

from shared import resources
from shared.composition import Dependencies
from shared.domain.runs import Run


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
