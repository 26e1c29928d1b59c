"""``GET /v1/runs/{id}/events``: a run's event log as Server-Sent Events.

Each event is sent as ``id: <seq>``, ``event: <type>`` and ``data: <RunEvent as JSON>`` (HTML
Living Standard, "Server-sent events"). The stream polls the run's event log and ends with one
explicit message, never a silent close:

- the run's terminal event (``run.delivered``, ``run.blocked``, ``run.failed``, ...), or
- ``event: error`` with ``{"code", "detail", "last_event_id"}`` when the stream's time limit
  passes (code ``stream_time_limit``: reconnect with ``Last-Event-ID``) or reading fails.

Comment lines (``: keep-alive``) keep idle connections open through proxies. A client resumes
with the ``Last-Event-ID`` header (or ``?after=<seq>``); one that resumes after the terminal event
of a finished run gets 204 No Content, which tells an ``EventSource`` to stop reconnecting.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, request, stream_with_context

from cloudrun.api.context import caller_org_id, dependencies
from cloudrun.api.wire import invalid_parameter
from shared.domain.runs import RunEvent
from shared.errors import SwitchyardError
from shared.ports.run_store import RunStore

bp = Blueprint("events", __name__)

EVENTS_PER_POLL = 100
KEEP_ALIVE = ": keep-alive\n\n"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamTiming:
    """How a stream polls and when it gives up.

    Attributes:
        poll_interval_s: Seconds between reads of the event log when nothing is new.
        heartbeat_s: Seconds of silence after which a ``: keep-alive`` comment is sent.
        max_duration_s: Seconds after which the stream ends with ``event: error``.
    """

    poll_interval_s: float
    heartbeat_s: float
    max_duration_s: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StreamTiming:
        """Read ``SSE_POLL_INTERVAL_S``, ``SSE_HEARTBEAT_S`` and ``SSE_MAX_DURATION_S``."""
        return cls(
            poll_interval_s=float(config["SSE_POLL_INTERVAL_S"]),
            heartbeat_s=float(config["SSE_HEARTBEAT_S"]),
            max_duration_s=float(config["SSE_MAX_DURATION_S"]),
        )


def sse_message(event: str, data: Mapping[str, Any] | RunEvent, event_id: int | None) -> str:
    """One SSE message; ``data`` is JSON on a single line."""
    payload = data.model_dump_json() if isinstance(data, RunEvent) else json.dumps(data)
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {payload}\n\n"


def _error_message(code: str, detail: str, last_event_id: int) -> str:
    data = {"code": code, "detail": detail, "last_event_id": last_event_id}
    return sse_message("error", data, None)


def stream_events(
    runs: RunStore,
    run_id: str,
    after_seq: int,
    timing: StreamTiming,
) -> Iterator[str]:
    """Yield the run's events after ``after_seq`` as SSE text until its terminal event.

    Args:
        runs: The run store to poll.
        run_id: The run, already checked to belong to the caller.
        after_seq: Sequence number of the last event the client has; 0 for all.
        timing: Poll interval, heartbeat and time limit.

    Yields:
        SSE messages and comments; the last is the terminal event or an ``error`` event.
    """
    deadline = time.monotonic() + timing.max_duration_s
    last_write = -math.inf  # an idle stream's first poll sends a comment: headers go out now
    cursor = after_seq
    try:
        while True:
            events = runs.list_events(run_id, after_seq=cursor, limit=EVENTS_PER_POLL)
            for event in events:
                yield sse_message(event.type, event, event.seq)
                cursor, last_write = event.seq, time.monotonic()
                if event.terminal:
                    return
            now = time.monotonic()
            if now >= deadline:
                detail = f"the stream ended after {timing.max_duration_s:g} s; reconnect"
                yield _error_message("stream_time_limit", detail, cursor)
                return
            if now - last_write >= timing.heartbeat_s:
                yield KEEP_ALIVE
                last_write = now
            if len(events) < EVENTS_PER_POLL:
                time.sleep(timing.poll_interval_s)
    except SwitchyardError as error:
        logger.warning("event stream of run %s failed: %s (%s)", run_id, error.message, error.code)
        yield _error_message(error.code, error.message, cursor)
    except Exception:
        logger.exception("event stream of run %s failed", run_id)
        yield _error_message("internal", "an unexpected error occurred", cursor)


def _resume_point() -> int:
    """The sequence number to resume after: ``Last-Event-ID``, else ``?after=``, else 0.

    Raises:
        InvalidRequestError: Code ``invalid_parameter``: not a non-negative integer.
    """
    for field, raw in (
        ("Last-Event-ID", request.headers.get("Last-Event-ID")),
        ("after", request.args.get("after")),
    ):
        if raw is not None:
            if not raw.strip().isdecimal():
                raise invalid_parameter(field, "must be a non-negative integer event id")
            return int(raw)
    return 0


@bp.get("/runs/<run_id>/events")
def run_events(run_id: str) -> Response:
    """Stream the run's events as ``text/event-stream`` (see the module docstring)."""
    after_seq = _resume_point()
    runs = dependencies().runs
    run = runs.get_run(run_id, caller_org_id())
    if run.status.terminal and not runs.list_events(run_id, after_seq=after_seq, limit=1):
        return Response(status=204)
    stream = stream_events(runs, run_id, after_seq, StreamTiming.from_config(current_app.config))
    return Response(
        stream_with_context(stream),
        mimetype="text/event-stream",
        # X-Accel-Buffering: proxies (nginx) must pass each message on as it comes.
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
