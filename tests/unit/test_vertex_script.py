"""The Gemini emulator's script format: validation and loading from files."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.genai import types
from pydantic import ValidationError

from emulators.vertex.script import Script, ScriptedError, Turn, load_script, load_scripts

PRICE_MONITOR = """\
script: price-monitor
match: {switchyard-agent: competitor-price-monitor}
turns:
  - function_calls: [{name: http_fetch, args: {url: "http://127.0.0.1:8080/p1"}, id: c1}]
  - text: "The price is 12.99 EUR"
    usage: {candidates_token_count: 7}
    finish_reason: max_tokens
"""


def test_load_script_reads_the_yaml_format(tmp_path: Path) -> None:
    path = tmp_path / "price-monitor.yaml"
    path.write_text(PRICE_MONITOR)

    script = load_script(path)

    assert script.name == "price-monitor"
    assert script.match == {"switchyard-agent": "competitor-price-monitor"}
    call = script.turns[0].function_calls[0]
    assert (call.name, call.args, call.id) == (
        "http_fetch",
        {"url": "http://127.0.0.1:8080/p1"},
        "c1",
    )
    assert script.turns[1].text == "The price is 12.99 EUR"
    assert script.turns[1].usage is not None
    assert script.turns[1].usage.candidates_token_count == 7
    assert script.turns[1].finish_reason == types.FinishReason.MAX_TOKENS


def test_to_json_round_trips() -> None:
    script = Script(
        script="s",
        match={"a": "1"},
        turns=(
            Turn(text="hi", delay_s=0.5),
            Turn(error=ScriptedError(code=503, message="m", status="UNAVAILABLE")),
        ),
    )

    assert Script.model_validate(script.to_json()) == script
    assert script.to_json()["script"] == "s"


@pytest.mark.parametrize(
    ("turn", "complaint"),
    [
        ({}, "needs text, function_calls or an error"),
        (
            {"text": "x", "error": {"code": 429, "message": "m", "status": "RESOURCE_EXHAUSTED"}},
            "error turn",
        ),
        ({"text": "x", "finish_reason": "STPO"}, "unknown finish_reason"),
        ({"error": {"code": 200, "message": "m", "status": "OK"}}, "greater than or equal to 400"),
        ({"function_calls": [{"name": "f", "arguments": {}}]}, "Extra inputs are not permitted"),
        ({"text": "x", "delay_s": -1}, "greater than or equal to 0"),
    ],
)
def test_invalid_turns_are_refused(turn: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        Script.model_validate({"script": "s", "turns": [turn]})


def test_turns_after_an_error_are_refused() -> None:
    error = {"code": 503, "message": "down", "status": "UNAVAILABLE"}

    with pytest.raises(ValidationError, match="turn 0 is an error"):
        Script.model_validate({"script": "s", "turns": [{"error": error}, {"text": "never"}]})


def test_a_script_needs_a_name_and_turns() -> None:
    with pytest.raises(ValidationError, match="script"):
        Script.model_validate({"turns": [{"text": "x"}]})
    with pytest.raises(ValidationError, match="at least 1 item"):
        Script.model_validate({"script": "s", "turns": []})


def test_load_scripts_reads_yaml_and_json_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(PRICE_MONITOR)
    (tmp_path / "a.json").write_text('{"script": "first", "turns": [{"text": "hi"}]}')
    (tmp_path / "notes.txt").write_text("not a script")

    assert [script.name for script in load_scripts(tmp_path)] == ["first", "price-monitor"]


def test_load_scripts_names_the_invalid_file(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("script: broken\nturns: [{txt: typo}]\n")

    with pytest.raises(ValueError, match=r"broken\.yaml: not a valid script"):
        load_scripts(tmp_path)


def test_load_scripts_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        load_scripts(tmp_path / "absent")
