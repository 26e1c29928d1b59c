"""The Gemini emulator's JSON: token estimates, responses and stream chunks."""

from __future__ import annotations

import pytest
from google.genai import types
from pydantic import ValidationError

from emulators.vertex.script import ScriptedFunctionCall, Turn, UsageOverride
from emulators.vertex.wire import (
    GenerateContentRequest,
    count_tokens,
    render_response,
    render_stream,
)

REQUEST = GenerateContentRequest.model_validate(
    {
        "contents": [{"role": "user", "parts": [{"text": "What is the price?"}]}],  # 18 chars
        "systemInstruction": {"role": "user", "parts": [{"text": "Be brief"}]},  # 8 chars
        "labels": {"switchyard-agent": "monitor"},
        "tools": [{"functionDeclarations": [{"name": "http_fetch"}]}],
        "generationConfig": {"temperature": 0.2},
    }
)


def test_count_tokens_is_characters_over_four_rounded_up() -> None:
    call = types.FunctionCall(name="f", args={"b": 1, "a": "x"})  # f + {"a":"x","b":1}
    contents = [
        types.Content(role="user", parts=[types.Part(text="abcde")]),
        types.Content(role="model", parts=[types.Part(function_call=call)]),
    ]

    assert count_tokens([]) == 0
    assert count_tokens(contents[:1]) == 2  # 5 characters
    assert count_tokens(contents) == 6  # 5 + 1 + 15 characters


def test_render_response_reports_text_calls_and_usage() -> None:
    call = ScriptedFunctionCall(name="http_fetch", args={"url": "u"}, id="c1")
    turn = Turn(text="Fetching", function_calls=(call,))

    body = render_response(turn, REQUEST, "gemini-2.5-flash")

    candidate = body["candidates"][0]
    assert candidate["content"] == {
        "role": "model",
        "parts": [
            {"text": "Fetching"},
            {"functionCall": {"name": "http_fetch", "args": {"url": "u"}, "id": "c1"}},
        ],
    }
    assert candidate["finishReason"] == "STOP"
    # Prompt: 8 + 18 characters; answer: 8 + 10 + 11 characters.
    assert body["usageMetadata"] == {
        "promptTokenCount": 7,
        "candidatesTokenCount": 8,
        "totalTokenCount": 15,
    }
    assert body["modelVersion"] == "gemini-2.5-flash"
    assert body["responseId"] != render_response(turn, REQUEST, "gemini-2.5-flash")["responseId"]


def test_usage_override_replaces_only_what_it_names() -> None:
    turn = Turn(text="abcd", usage=UsageOverride(prompt_token_count=100))
    total = Turn(text="abcd", usage=UsageOverride(total_token_count=5))

    assert render_response(turn, REQUEST, "m")["usageMetadata"] == {
        "promptTokenCount": 100,
        "candidatesTokenCount": 1,
        "totalTokenCount": 101,
    }
    assert render_response(total, REQUEST, "m")["usageMetadata"]["totalTokenCount"] == 5


def test_render_stream_splits_text_and_ends_with_calls_and_usage() -> None:
    turn = Turn(
        text="  The price is\n12.99 EUR ",
        function_calls=(ScriptedFunctionCall(name="slack_post"),),
        finish_reason=types.FinishReason.MAX_TOKENS,
    )

    chunks = list(render_stream(turn, REQUEST, "m"))

    texts = [chunk["candidates"][0]["content"]["parts"][0]["text"] for chunk in chunks]
    assert texts == ["  The ", "price ", "is\n", "12.99 ", "EUR "]
    assert all("finishReason" not in chunk["candidates"][0] for chunk in chunks[:-1])
    assert all("usageMetadata" not in chunk for chunk in chunks[:-1])
    last = chunks[-1]
    assert last["candidates"][0]["content"]["parts"][1] == {
        "functionCall": {"name": "slack_post", "args": {}}
    }
    assert last["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert last["usageMetadata"]["candidatesTokenCount"] == 10  # 25 + 10 + 2 characters
    assert len({chunk["responseId"] for chunk in chunks}) == 1


def test_render_stream_of_calls_only_is_one_chunk() -> None:
    turn = Turn(function_calls=(ScriptedFunctionCall(name="http_fetch"),))

    (chunk,) = render_stream(turn, REQUEST, "m")

    assert chunk["candidates"][0]["content"]["parts"] == [
        {"functionCall": {"name": "http_fetch", "args": {}}}
    ]


def test_request_needs_contents() -> None:
    with pytest.raises(ValidationError, match="contents"):
        GenerateContentRequest.model_validate({"labels": {}})
