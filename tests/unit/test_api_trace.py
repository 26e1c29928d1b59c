"""``GET /v1/runs/{id}/trace``: steps and tool calls with the bodies stored in Cloud Storage."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.domain.steps import FunctionCall, ModelStep, ToolCallResult, ToolCallStatus
from shared.resources import TRACES_BUCKET_SUFFIX
from tests.unit.api_harness import ApiHarness, assert_problem, make_harness

NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def api() -> ApiHarness:
    return make_harness()


def _put_trace(api: ApiHarness, name: str, content: bytes) -> str:
    return api.deps.blobs.put(TRACES_BUCKET_SUFFIX, name, content, "application/json")


def _traced_run(api: ApiHarness) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A run with two steps and two tool calls, one of each with a stored trace."""
    run_id = api.start_run(api.create_agent())
    model_body = {"request": {"contents": [{"role": "user"}]}, "response": {"candidates": []}}
    tool_body = {"input": {"url": "https://shop.example/p"}, "output": {"status": 200}}
    model_uri = _put_trace(
        api, f"runs/{run_id}/steps/0/model.json", json.dumps(model_body).encode()
    )
    tool_uri = _put_trace(
        api, f"runs/{run_id}/steps/0/calls/0.json", json.dumps(tool_body).encode()
    )
    unreadable_uri = _put_trace(api, f"runs/{run_id}/steps/0/calls/1.json", b"\x89PNG")
    call = FunctionCall(call_index=0, name="http_fetch", args={"url": "https://shop.example/p"})
    api.deps.runs.record_step(
        run_id,
        ModelStep(
            step=0, function_calls=(call,), prompt_tokens=12, trace_uri=model_uri, completed_at=NOW
        ),
    )
    for index, uri in ((0, tool_uri), (1, unreadable_uri)):
        api.deps.runs.record_tool_result(
            run_id,
            ToolCallResult(
                step=0,
                call_index=index,
                name="http_fetch",
                status=ToolCallStatus.SUCCEEDED,
                output={"status": 200},
                trace_uri=uri,
                completed_at=NOW,
            ),
        )
    gone = f"gs://{api.deps.settings.project_id}-{TRACES_BUCKET_SUFFIX}/runs/{run_id}/gone.json"
    api.deps.runs.record_step(
        run_id, ModelStep(step=1, text="EUR 10", trace_uri=gone, completed_at=NOW)
    )
    api.deps.runs.record_step(run_id, ModelStep(step=2, text="untraced", completed_at=NOW))
    return run_id, model_body, tool_body


def test_the_trace_has_every_step_and_tool_call_with_its_bodies(api: ApiHarness) -> None:
    run_id, model_body, tool_body = _traced_run(api)

    response = api.client.get(f"/v1/runs/{run_id}/trace", headers=api.auth())

    assert response.status_code == 200
    trace = response.get_json()
    assert trace["run_id"] == run_id
    assert trace["status"] == "requested"
    assert [step["step"] for step in trace["steps"]] == [0, 1, 2]
    first = trace["steps"][0]
    assert first["prompt_tokens"] == 12
    assert first["function_calls"][0]["args"] == {"url": "https://shop.example/p"}
    assert first["trace"]["content"] == model_body
    assert first["trace"]["uri"].startswith("gs://")
    assert [(c["step"], c["call_index"]) for c in trace["tool_calls"]] == [(0, 0), (0, 1)]
    assert trace["tool_calls"][0]["trace"]["content"] == tool_body


def test_a_missing_or_unreadable_trace_is_reported_in_its_item(api: ApiHarness) -> None:
    run_id, _, _ = _traced_run(api)

    trace = api.client.get(f"/v1/runs/{run_id}/trace", headers=api.auth()).get_json()

    assert trace["steps"][1]["trace"]["error"]["code"] == "trace_missing"
    assert trace["steps"][1]["text"] == "EUR 10"
    assert trace["tool_calls"][1]["trace"]["error"]["code"] == "trace_unreadable"
    assert trace["steps"][2]["trace"] is None


def test_a_run_without_steps_has_an_empty_trace(api: ApiHarness) -> None:
    run_id = api.start_run(api.create_agent())

    trace = api.client.get(f"/v1/runs/{run_id}/trace", headers=api.auth()).get_json()

    assert trace["steps"] == []
    assert trace["tool_calls"] == []


def test_another_organisations_trace_is_not_found(api: ApiHarness) -> None:
    run_id, _, _ = _traced_run(api)

    response = api.client.get(f"/v1/runs/{run_id}/trace", headers=api.auth(api.other_key))

    assert_problem(response, 404, "run_not_found")
