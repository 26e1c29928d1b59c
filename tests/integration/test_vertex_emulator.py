"""The Gemini emulator through the real google-genai client in Vertex AI mode.

Every test registers its own script under unique labels, so tests never answer each other.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from google import genai
from google.genai import errors, types

from emulators.vertex.admin_client import delete_script, register_script
from emulators.vertex.script import Script, ScriptedError, ScriptedFunctionCall, Turn, UsageOverride
from shared.gcp_clients import genai_client
from shared.settings import Settings

MODEL = "gemini-2.5-flash"
TOOLS: types.ToolListUnion = [
    types.Tool(
        function_declarations=[
            types.FunctionDeclaration(
                name="http_fetch",
                description="Fetch a URL.",
                parameters_json_schema={
                    "type": "object",
                    "properties": {"url": {"type": "string"}},
                },
            ),
            types.FunctionDeclaration(name="slack_post", description="Post to Slack."),
        ]
    )
]
REPO = Path(__file__).resolve().parents[2]

Scripted = Callable[..., types.GenerateContentConfig]


@pytest.fixture(scope="session")
def vertex_base_url(stack: Settings) -> str:
    """The Gemini emulator's base URL (the ``stack`` fixture fails the test without one)."""
    assert stack.vertex_base_url
    return stack.vertex_base_url


@pytest.fixture
def client(settings: Settings, vertex_base_url: str) -> Iterator[genai.Client]:
    """google-genai in Vertex AI mode, built the way the application builds it."""
    with genai_client(settings) as client:
        yield client


@pytest.fixture
def scripted(vertex_base_url: str) -> Iterator[Scripted]:
    """Register a script of the given turns; returns the request config that selects it."""
    names: list[str] = []

    def register(*turns: Turn) -> types.GenerateContentConfig:
        name = f"test-{uuid.uuid4().hex[:12]}"
        register_script(vertex_base_url, Script(script=name, match={"test": name}, turns=turns))
        names.append(name)
        return types.GenerateContentConfig(labels={"test": name}, tools=TOOLS)

    yield register
    for name in names:
        delete_script(vertex_base_url, name)


def _user(*parts: types.Part) -> types.Content:
    return types.Content(role="user", parts=list(parts))


def _fetched(call: types.FunctionCall, body: str) -> types.Part:
    return types.Part(
        function_response=types.FunctionResponse(
            name=call.name, id=call.id, response={"body": body}
        )
    )


def test_text_answer_reports_usage(client: genai.Client, scripted: Scripted) -> None:
    config = scripted(Turn(text="The price is 12.99 EUR"))

    response = client.models.generate_content(
        model=MODEL, contents="What is the price?", config=config
    )

    assert response.text == "The price is 12.99 EUR"
    assert response.function_calls is None
    assert response.candidates is not None
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    usage = response.usage_metadata
    assert usage is not None
    # ceil(18 / 4) and ceil(22 / 4): the documented characters-over-four estimate.
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (
        5,
        6,
        11,
    )
    assert response.model_version == MODEL
    assert response.response_id


def test_scripted_usage_overrides_the_estimate(client: genai.Client, scripted: Scripted) -> None:
    usage = UsageOverride(prompt_token_count=1200, candidates_token_count=300)
    config = scripted(Turn(text="Expensive answer", usage=usage))

    response = client.models.generate_content(model=MODEL, contents="hi", config=config)

    assert response.usage_metadata is not None
    assert response.usage_metadata.total_token_count == 1500


def test_function_calling_round_trip(client: genai.Client, scripted: Scripted) -> None:
    fetches = (
        ScriptedFunctionCall(name="http_fetch", args={"url": "http://127.0.0.1:8080/p1"}, id="f1"),
        ScriptedFunctionCall(name="http_fetch", args={"url": "http://127.0.0.1:8080/p2"}, id="f2"),
    )
    config = scripted(Turn(function_calls=fetches), Turn(text="p1 costs 12.99 EUR, p2 9.50 EUR"))
    contents = [_user(types.Part(text="Compare the prices."))]

    asked = client.models.generate_content(model=MODEL, contents=contents, config=config)

    calls = asked.function_calls
    assert calls is not None
    assert [(c.name, c.args, c.id) for c in calls] == [
        ("http_fetch", {"url": "http://127.0.0.1:8080/p1"}, "f1"),
        ("http_fetch", {"url": "http://127.0.0.1:8080/p2"}, "f2"),
    ]
    assert asked.candidates is not None and asked.candidates[0].content is not None
    contents += [
        asked.candidates[0].content,
        _user(_fetched(calls[1], "9.50 EUR"), _fetched(calls[0], "12.99 EUR")),
    ]
    answered = client.models.generate_content(model=MODEL, contents=contents, config=config)

    assert answered.text == "p1 costs 12.99 EUR, p2 9.50 EUR"
    assert answered.function_calls is None


def test_streaming_answers_word_by_word(client: genai.Client, scripted: Scripted) -> None:
    text = "Competitor one lowered the price to 12.99 EUR."
    config = scripted(Turn(text=text, function_calls=(ScriptedFunctionCall(name="slack_post"),)))

    chunks = list(client.models.generate_content_stream(model=MODEL, contents="go", config=config))

    assert len(chunks) == len(text.split())
    assert "".join(chunk.text or "" for chunk in chunks) == text
    last = chunks[-1]
    assert last.function_calls is not None and last.function_calls[0].name == "slack_post"
    assert last.candidates is not None
    assert last.candidates[0].finish_reason == types.FinishReason.STOP
    assert last.usage_metadata is not None and last.usage_metadata.candidates_token_count == 15
    assert chunks[0].usage_metadata is None


def test_missing_function_response_is_a_client_error(
    client: genai.Client, scripted: Scripted
) -> None:
    config = scripted(
        Turn(function_calls=(ScriptedFunctionCall(name="http_fetch", args={"url": "u"}),)),
        Turn(text="never reached"),
    )
    asked = client.models.generate_content(model=MODEL, contents="go", config=config)
    assert asked.candidates is not None and asked.candidates[0].content is not None
    contents = [
        _user(types.Part(text="go")),
        asked.candidates[0].content,
        _user(types.Part(text="I did not run the tool.")),
    ]

    with pytest.raises(errors.ClientError) as raised:
        client.models.generate_content(model=MODEL, contents=contents, config=config)

    assert raised.value.code == 400
    assert raised.value.status == "INVALID_ARGUMENT"
    assert "missing: http_fetch" in str(raised.value.message)


def test_unscripted_requests_are_client_errors(client: genai.Client, scripted: Scripted) -> None:
    config = scripted(Turn(text="only turn"))
    unmatched = types.GenerateContentConfig(labels={"test": f"nobody-{uuid.uuid4().hex}"})
    past_the_end = [
        _user(types.Part(text="hi")),
        types.Content(role="model", parts=[types.Part(text="only turn")]),
        _user(types.Part(text="and now?")),
    ]

    with pytest.raises(errors.ClientError, match="no script matches the request labels"):
        client.models.generate_content(model=MODEL, contents="hi", config=unmatched)
    with pytest.raises(errors.ClientError, match="does not invent turn 1"):
        client.models.generate_content(model=MODEL, contents=past_the_end, config=config)
    with pytest.raises(errors.ClientError, match="no script matches"):
        list(client.models.generate_content_stream(model=MODEL, contents="hi", config=unmatched))


def test_calling_an_undeclared_function_is_a_client_error(
    client: genai.Client, scripted: Scripted
) -> None:
    config = scripted(Turn(function_calls=(ScriptedFunctionCall(name="http_fetch"),)))
    without_tools = config.model_copy(update={"tools": None})

    with pytest.raises(errors.ClientError, match="calls http_fetch, which the request's tools"):
        client.models.generate_content(model=MODEL, contents="hi", config=without_tools)


@pytest.mark.parametrize(
    ("error", "raised_type"),
    [
        (
            ScriptedError(code=429, message="Quota exceeded", status="RESOURCE_EXHAUSTED"),
            errors.ClientError,
        ),
        (
            ScriptedError(code=503, message="Model overloaded", status="UNAVAILABLE"),
            errors.ServerError,
        ),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_scripted_errors_surface_as_genai_errors(
    client: genai.Client,
    scripted: Scripted,
    error: ScriptedError,
    raised_type: type[errors.APIError],
    stream: bool,
) -> None:
    config = scripted(Turn(error=error))

    with pytest.raises(raised_type) as raised:
        if stream:
            list(client.models.generate_content_stream(model=MODEL, contents="hi", config=config))
        else:
            client.models.generate_content(model=MODEL, contents="hi", config=config)

    assert (raised.value.code, raised.value.status, raised.value.message) == (
        error.code,
        error.status,
        error.message,
    )


def test_delay_holds_the_answer(client: genai.Client, scripted: Scripted) -> None:
    config = scripted(Turn(text="slow", delay_s=0.5))

    started = time.monotonic()
    response = client.models.generate_content(model=MODEL, contents="hi", config=config)

    assert response.text == "slow"
    assert time.monotonic() - started >= 0.5


def test_most_recent_matching_script_wins(
    client: genai.Client, vertex_base_url: str, scripted: Scripted
) -> None:
    config = scripted(Turn(text="older"))
    assert config.labels is not None
    newer = Script(
        script=f"newer-{uuid.uuid4().hex[:12]}", match=config.labels, turns=(Turn(text="newer"),)
    )

    register_script(vertex_base_url, newer)
    try:
        answered_by_newer = client.models.generate_content(
            model=MODEL, contents="hi", config=config
        )
    finally:
        delete_script(vertex_base_url, newer.name)
    answered_by_older = client.models.generate_content(model=MODEL, contents="hi", config=config)

    assert (answered_by_newer.text, answered_by_older.text) == ("newer", "older")


def test_concurrent_runs_of_one_script_do_not_interfere(
    client: genai.Client, scripted: Scripted
) -> None:
    fetch = ScriptedFunctionCall(name="http_fetch", args={"url": "u"})
    config = scripted(Turn(function_calls=(fetch,)), Turn(text="done"))

    def run(number: int) -> str | None:
        contents = [_user(types.Part(text=f"run {number}"))]
        asked = client.models.generate_content(model=MODEL, contents=contents, config=config)
        assert asked.candidates is not None and asked.candidates[0].content is not None
        assert asked.function_calls is not None
        contents += [asked.candidates[0].content, _user(_fetched(asked.function_calls[0], "ok"))]
        return client.models.generate_content(model=MODEL, contents=contents, config=config).text

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(run, range(16)))

    assert answers == ["done"] * 16


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_command_line_loads_scripts_and_stops_on_sigterm(tmp_path: Path) -> None:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "monitor.yaml").write_text(
        "script: monitor\nmatch: {switchyard-agent: monitor}\nturns: [{text: hi}]\n"
    )
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "emulators.vertex",
        "--port",
        str(port),
        "--scripts",
        str(scripts),
    ]
    log = tmp_path / "emulator.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(command, cwd=REPO, stderr=stderr)
    try:
        deadline = time.monotonic() + 30
        listed = None
        while listed is None and time.monotonic() < deadline and server.poll() is None:
            try:
                listed = httpx.get(f"http://127.0.0.1:{port}/emulator/scripts").json()
            except httpx.TransportError:
                time.sleep(0.1)
        assert listed is not None, f"the emulator did not start: {log.read_text()}"
        assert [script["script"] for script in listed["scripts"]] == ["monitor"]
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
        assert "stopping" in log.read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
