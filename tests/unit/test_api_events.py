"""``GET /v1/runs/{id}/events``: the run's event log as SSE, resumable, never silently closed."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx
import pytest
from httpx_sse import EventSource, connect_sse

from shared.adapters.in_memory_run_store import InMemoryRunStore
from shared.domain.runs import RunEvent, RunStatus
from shared.errors import TransientError
from tests.unit.api_harness import (
    ApiHarness,
    assert_problem,
    in_memory_dependencies,
    make_harness,
)


class FlakyRunStore(InMemoryRunStore):
    """A run store whose event log fails with ``failure`` once it is set."""

    def __init__(self) -> None:
        super().__init__()
        self.failure: Exception | None = None

    def list_events(self, run_id: str, after_seq: int = 0, limit: int = 100) -> list[RunEvent]:
        if self.failure is not None:
            raise self.failure
        return super().list_events(run_id, after_seq, limit)


@pytest.fixture
def api() -> ApiHarness:
    return make_harness()


@contextmanager
def event_source(
    api: ApiHarness,
    run_id: str,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> Iterator[EventSource]:
    """The run's event stream, read through httpx-sse straight from the WSGI app."""
    transport = httpx.WSGITransport(app=api.app)
    with (
        httpx.Client(transport=transport, base_url="http://api.test") as client,
        connect_sse(
            client,
            "GET",
            f"/v1/runs/{run_id}/events",
            headers={**api.auth(), **(headers or {})},
            params=params,
        ) as source,
    ):
        yield source


def _finished_run(api: ApiHarness) -> str:
    """A run with events 1 to 4: requested, approved, running, failed."""
    run_id = api.start_run(api.create_agent())
    for new, expected in (
        (RunStatus.APPROVED, RunStatus.REQUESTED),
        (RunStatus.RUNNING, RunStatus.APPROVED),
        (RunStatus.FAILED, RunStatus.RUNNING),
    ):
        api.deps.runs.transition(run_id, new, expected={expected})
    return run_id


def test_a_finished_runs_stream_replays_its_log_and_ends_with_the_terminal_event(
    api: ApiHarness,
) -> None:
    run_id = _finished_run(api)

    with event_source(api, run_id) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        assert source.response.headers["cache-control"] == "no-store"
        events = list(source.iter_sse())

    assert [(e.id, e.event) for e in events] == [
        ("1", "run.requested"),
        ("2", "run.approved"),
        ("3", "run.running"),
        ("4", "run.failed"),
    ]
    stored = api.deps.runs.list_events(run_id)
    assert [RunEvent.model_validate(e.json()) for e in events] == stored


@pytest.mark.parametrize(
    ("headers", "params", "expected_ids"),
    [
        ({"Last-Event-ID": "2"}, None, ["3", "4"]),
        (None, {"after": "3"}, ["4"]),
        ({"Last-Event-ID": "3"}, {"after": "0"}, ["4"]),  # the header wins
        ({"Last-Event-ID": "0"}, None, ["1", "2", "3", "4"]),
    ],
)
def test_a_stream_resumes_after_the_last_event_id(
    api: ApiHarness,
    headers: dict[str, str] | None,
    params: dict[str, str] | None,
    expected_ids: list[str],
) -> None:
    run_id = _finished_run(api)

    with event_source(api, run_id, headers=headers, params=params) as source:
        ids = [event.id for event in source.iter_sse()]

    assert ids == expected_ids


def test_events_are_sent_as_they_happen_until_the_terminal_one(api: ApiHarness) -> None:
    run_id = api.start_run(api.create_agent())

    with event_source(api, run_id) as source:
        events = source.iter_sse()
        first = next(events)
        api.deps.runs.append_event(run_id, "eval.passed", {"eval": "input-ok"})
        api.deps.runs.transition(run_id, RunStatus.REJECTED, expected={RunStatus.REQUESTED})
        rest = list(events)

    assert first.event == "run.requested"
    assert [(e.id, e.event) for e in rest] == [("2", "eval.passed"), ("3", "run.rejected")]
    assert rest[0].json()["data"] == {"eval": "input-ok"}


def test_the_stream_ends_with_an_error_event_at_its_time_limit() -> None:
    api = make_harness(config={"SSE_MAX_DURATION_S": 0.05})
    run_id = api.start_run(api.create_agent())

    with event_source(api, run_id) as source:
        events = list(source.iter_sse())

    assert [e.event for e in events] == ["run.requested", "error"]
    assert events[-1].id == "1"  # an error event leaves the client's resume point alone
    assert events[-1].json()["code"] == "stream_time_limit"
    assert events[-1].json()["last_event_id"] == 1


def test_an_idle_stream_sends_keep_alive_comments_in_the_sse_wire_format() -> None:
    api = make_harness(config={"SSE_HEARTBEAT_S": 0.0, "SSE_MAX_DURATION_S": 0.05})
    run_id = api.start_run(api.create_agent())

    response = api.client.get(f"/v1/runs/{run_id}/events", headers=api.auth())
    text = response.get_data(as_text=True)

    assert response.mimetype == "text/event-stream"
    assert text.startswith("id: 1\nevent: run.requested\ndata: {")
    assert ": keep-alive\n\n" in text
    assert text.endswith("\n\n")
    last = text.rstrip("\n").rsplit("\n\n", 1)[-1].splitlines()
    assert last[0] == "event: error"
    assert json.loads(last[1].removeprefix("data: "))["code"] == "stream_time_limit"


def test_resuming_after_the_end_of_a_finished_run_is_204(api: ApiHarness) -> None:
    run_id = _finished_run(api)

    response = api.client.get(
        f"/v1/runs/{run_id}/events", headers={**api.auth(), "Last-Event-ID": "4"}
    )

    assert response.status_code == 204
    assert response.get_data() == b""


@pytest.mark.parametrize(
    ("headers", "query", "field"),
    [
        ({"Last-Event-ID": "abc"}, "", "Last-Event-ID"),
        ({"Last-Event-ID": "-1"}, "", "Last-Event-ID"),
        ({}, "?after=1.5", "after"),
    ],
)
def test_a_bad_resume_point_is_a_400_problem(
    api: ApiHarness, headers: dict[str, str], query: str, field: str
) -> None:
    run_id = api.start_run(api.create_agent())

    response = api.client.get(f"/v1/runs/{run_id}/events{query}", headers={**api.auth(), **headers})

    problem = assert_problem(response, 400, "invalid_parameter")
    assert problem["errors"][0]["field"] == field


def test_another_organisations_run_has_no_stream(api: ApiHarness) -> None:
    run_id = api.start_run(api.create_agent(key=api.other_key), key=api.other_key)

    response = api.client.get(f"/v1/runs/{run_id}/events", headers=api.auth())

    assert_problem(response, 404, "run_not_found")


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (
            TransientError("firestore_unavailable", "the database is unavailable"),
            "firestore_unavailable",
        ),
        (RuntimeError("password=hunter2"), "internal"),
    ],
)
def test_a_failure_mid_stream_ends_it_with_an_error_event(
    failure: Exception, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    runs = FlakyRunStore()
    api = make_harness(dataclasses.replace(in_memory_dependencies(), runs=runs))
    run_id = api.start_run(api.create_agent())

    with caplog.at_level(logging.WARNING), event_source(api, run_id) as source:
        events = source.iter_sse()
        first = next(events)
        runs.failure = failure
        rest = list(events)

    assert first.event == "run.requested"
    assert [e.event for e in rest] == ["error"]
    assert rest[0].json()["code"] == code
    assert rest[0].json()["last_event_id"] == 1
    assert "hunter2" not in rest[0].data
    assert any(run_id in record.getMessage() for record in caplog.records)
