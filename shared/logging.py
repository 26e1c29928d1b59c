"""Structured JSON logging for Cloud Logging, with trace correlation.

Every Switchyard process calls :func:`configure_logging` once at start. Records go to stdout as
one JSON object per line through google-cloud-logging's ``StructuredLogHandler``, which Cloud Run
and Cloud Functions forward to Cloud Logging unchanged. Inside a Flask request the handler reads
``traceparent`` / ``X-Cloud-Trace-Context`` itself, so log lines join the request's trace; outside
one, pass ``extra={"trace": ...}`` or use :func:`trace_fields`.

Reference: https://cloud.google.com/logging/docs/structured-logging
"""

from __future__ import annotations

import logging
import sys

from google.cloud.logging.handlers import StructuredLogHandler

_configured = False


def configure_logging(project_id: str, level: str = "INFO") -> None:
    """Route the root logger to stdout as structured JSON (idempotent).

    Args:
        project_id: Google Cloud project id, used to build full trace resource names.
        level: Logging level name, such as ``"INFO"``.
    """
    global _configured
    root = logging.getLogger()
    root.setLevel(level.upper())
    if _configured:
        return
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(StructuredLogHandler(project_id=project_id, stream=sys.stdout))
    _configured = True


def trace_fields(project_id: str, trace_id: str | None) -> dict[str, str]:
    """The ``extra`` that ties a log record to a trace outside an HTTP request.

    Args:
        project_id: Google Cloud project id.
        trace_id: 32-hex-digit W3C trace id, or None.

    Returns:
        ``{"trace": "projects/<project>/traces/<trace_id>"}``, or ``{}`` when there is no trace.
    """
    if not trace_id:
        return {}
    return {"trace": f"projects/{project_id}/traces/{trace_id}"}
