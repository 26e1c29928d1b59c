"""The Gemini emulator's Flask app in process: admin API and error answers."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from emulators.vertex.app import create_app
from emulators.vertex.registry import ScriptRegistry

MODEL_URL = "/v1beta1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash"
HELLO = {"contents": [{"role": "user", "parts": [{"text": "hello"}]}], "labels": {"t": "1"}}


def _json(response: TestResponse) -> Any:
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)
    return body


@pytest.fixture
def client() -> FlaskClient:
    return create_app(ScriptRegistry()).test_client()


def test_healthz(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}


def test_scripts_are_registered_listed_replaced_and_deleted(client: FlaskClient) -> None:
    first = client.put("/emulator/scripts/a", json={"match": {"t": "1"}, "turns": [{"text": "A"}]})
    client.put("/emulator/scripts/b", json={"script": "b", "turns": [{"text": "B"}]})
    client.put("/emulator/scripts/a", json={"match": {"t": "1"}, "turns": [{"text": "A2"}]})

    assert first.status_code == 200
    assert _json(first) == {"script": "a", "match": {"t": "1"}, "turns": [{"text": "A"}]}
    listed = _json(client.get("/emulator/scripts"))
    assert [(s["script"], s["turns"][0]["text"]) for s in listed["scripts"]] == [
        ("b", "B"),
        ("a", "A2"),
    ]
    assert client.delete("/emulator/scripts/a").status_code == 200
    assert _json(client.delete("/emulator/scripts/a"))["error"]["status"] == "NOT_FOUND"
    assert [s["script"] for s in _json(client.get("/emulator/scripts"))["scripts"]] == ["b"]


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"script": "other", "turns": [{"text": "x"}]}, "the body names script 'other'"),
        ({"turns": [{"txt": "x"}]}, "Extra inputs are not permitted"),
        (["not", "an", "object"], "must be a JSON object"),
    ],
)
def test_invalid_scripts_are_refused(client: FlaskClient, body: object, complaint: str) -> None:
    answer = client.put("/emulator/scripts/s", json=body)

    assert answer.status_code == 400
    assert _json(answer)["error"]["status"] == "INVALID_ARGUMENT"
    assert complaint in _json(answer)["error"]["message"]
    assert client.get("/emulator/scripts").json == {"scripts": []}


def test_unknown_paths_answer_google_errors(client: FlaskClient) -> None:
    answer = client.post("/v1/models/gemini:generateContent", json=HELLO)

    assert answer.status_code == 404
    assert (
        "does not serve POST /v1/models/gemini:generateContent" in _json(answer)["error"]["message"]
    )


def test_streams_are_server_sent_events_only(client: FlaskClient) -> None:
    client.put("/emulator/scripts/s", json={"turns": [{"text": "hi there"}]})

    refused = client.post(f"{MODEL_URL}:streamGenerateContent", json=HELLO)
    streamed = client.post(f"{MODEL_URL}:streamGenerateContent?alt=sse", json=HELLO)

    assert refused.status_code == 400
    assert "alt=sse" in _json(refused)["error"]["message"]
    assert streamed.mimetype == "text/event-stream"
    assert streamed.get_data(as_text=True).count("data: {") == 2


def test_malformed_requests_are_invalid_arguments(client: FlaskClient) -> None:
    client.put("/emulator/scripts/s", json={"turns": [{"text": "hi"}]})

    answer = client.post(f"{MODEL_URL}:generateContent", data="{not json")

    assert answer.status_code == 400
    assert _json(answer)["error"]["status"] == "INVALID_ARGUMENT"
    assert _json(answer)["error"]["message"].startswith("invalid request")
