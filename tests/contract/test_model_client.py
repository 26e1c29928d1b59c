"""ModelClient contract: one suite, run against ScriptedModelClient and Vertex AI (the emulator).

Each test scripts the model's turns once, as the ModelResponses and errors the twin answers
with; the GCP variant registers the same turns with the Gemini emulator under labels of their
own, so tests never answer each other, and sends the request through google-genai.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import pytest
from google.genai import types

from emulators.vertex.admin_client import register_script
from emulators.vertex.script import (
    Script,
    ScriptedError,
    ScriptedFunctionCall,
    Turn,
    UsageOverride,
)
from emulators.vertex.wire import CHARS_PER_TOKEN
from shared.adapters.scripted_model_client import ScriptedModelClient
from shared.adapters.vertex_model_client import VertexModelClient
from shared.domain.model_io import (
    FunctionResponse,
    Message,
    ModelRequest,
    ModelResponse,
    ToolDeclaration,
)
from shared.domain.spec import ModelConfig
from shared.domain.steps import FunctionCall
from shared.errors import (
    PermanentError,
    RateLimitedError,
    SwitchyardError,
    TransientError,
)
from shared.ports.model_client import ModelClient
from shared.settings import Settings

ScriptTurn = ModelResponse | SwitchyardError
# scripted(*turns) -> a client that answers with them, and the labels that select them.
Scripted = Callable[..., tuple[ModelClient, dict[str, str]]]

HTTP_FETCH = ToolDeclaration(
    name="http_fetch",
    description="Fetch a URL.",
    parameters={"type": "object", "properties": {"url": {"type": "string"}}},
)
ASK = Message(role="user", text="What does competitor 1 charge?")


def _emulator_turn(turn: ScriptTurn) -> Turn:
    """The Gemini emulator's form of a turn: errors by the HTTP status Vertex AI answers."""
    if isinstance(turn, SwitchyardError):
        if isinstance(turn, RateLimitedError):
            code, status = 429, "RESOURCE_EXHAUSTED"
        elif isinstance(turn, TransientError):
            code, status = 503, "UNAVAILABLE"
        else:
            code, status = 400, "INVALID_ARGUMENT"
        return Turn(error=ScriptedError(code=code, message=turn.message, status=status))
    return Turn(
        text=turn.text,
        function_calls=tuple(
            ScriptedFunctionCall(
                name=call.name, args=call.args, id=call.id, thought_signature=call.thought_signature
            )
            for call in turn.function_calls
        ),
        usage=UsageOverride(
            prompt_token_count=turn.prompt_tokens, candidates_token_count=turn.completion_tokens
        ),
        finish_reason=types.FinishReason(turn.finish_reason or "STOP"),
    )


@pytest.fixture
def emulator_script(stack: Settings, namespace: str) -> Callable[..., dict[str, str]]:
    """``register(*turns)``: a new script of emulator turns; returns the labels that select it."""
    assert stack.vertex_base_url
    base_url = stack.vertex_base_url
    count = itertools.count()

    def register(*turns: Turn) -> dict[str, str]:
        name = f"contract-{namespace}-{next(count)}"
        register_script(base_url, Script(script=name, match={"test": name}, turns=turns))
        return {"test": name}

    return register


@pytest.fixture(params=["memory", "gcp"])
def scripted(request: pytest.FixtureRequest) -> Scripted:
    if request.param == "memory":
        return lambda *turns: (ScriptedModelClient(turns), {})
    stack: Settings = request.getfixturevalue("stack")
    register = request.getfixturevalue("emulator_script")
    return lambda *turns: (
        VertexModelClient(stack),
        register(*(_emulator_turn(turn) for turn in turns)),
    )


def _request(
    labels: dict[str, str], messages: Sequence[Message] = (ASK,), timeout_s: float = 30.0
) -> ModelRequest:
    return ModelRequest(
        model=ModelConfig(name="gemini-2.5-flash", temperature=0.0, max_output_tokens=256),
        system_prompt="You are a competitor pricing analyst.",
        messages=tuple(messages),
        tools=(HTTP_FETCH,),
        labels=labels,
        timeout_s=timeout_s,
    )


def test_a_text_answer_with_its_finish_reason_and_tokens(scripted: Scripted) -> None:
    client, labels = scripted(
        ModelResponse(
            text="Competitor 1 charges 12.99 EUR.",
            finish_reason="STOP",
            prompt_tokens=21,
            completion_tokens=7,
        )
    )

    response = client.generate(_request(labels))

    assert response.text == "Competitor 1 charges 12.99 EUR."
    assert response.function_calls == ()
    assert response.finish_reason == "STOP"
    assert (response.prompt_tokens, response.completion_tokens) == (21, 7)


def test_function_calls_come_in_order_and_their_responses_get_the_answer(
    scripted: Scripted,
) -> None:
    calls = (
        FunctionCall(call_index=0, name="http_fetch", args={"url": "https://c1.example/p"}),
        FunctionCall(
            call_index=1, name="http_fetch", args={"url": "https://c2.example/p"}, id="call-2"
        ),
    )
    client, labels = scripted(
        ModelResponse(function_calls=calls, finish_reason="STOP", prompt_tokens=30),
        ModelResponse(text="12.99 and 13.49 EUR.", finish_reason="STOP", completion_tokens=9),
    )

    first = client.generate(_request(labels))
    answers = Message(
        role="user",
        function_responses=tuple(
            FunctionResponse(name=call.name, id=call.id, response={"body": f"price {n}"})
            for n, call in enumerate(first.function_calls)
        ),
    )
    second = client.generate(
        _request(labels, (ASK, Message(role="model", function_calls=first.function_calls), answers))
    )

    assert first.function_calls == calls
    assert first.text is None
    assert (second.text, second.function_calls) == ("12.99 and 13.49 EUR.", ())
    assert second.completion_tokens == 9


SIGNED_CALL = FunctionCall(
    call_index=0,
    name="http_fetch",
    args={"url": "https://c1.example/p"},
    thought_signature="c2lnbmVkIGJ5IHRoZSBtb2RlbA==",
)


def _answered(call: FunctionCall) -> Message:
    return Message(
        role="user",
        function_responses=(FunctionResponse(name=call.name, response={"body": "9.99"}),),
    )


def test_a_signed_call_comes_with_its_thought_signature_and_goes_back_with_it(
    scripted: Scripted,
) -> None:
    client, labels = scripted(
        ModelResponse(function_calls=(SIGNED_CALL,)), ModelResponse(text="9.99 EUR")
    )

    first = client.generate(_request(labels))
    second = client.generate(
        _request(
            labels,
            (
                ASK,
                Message(role="model", function_calls=first.function_calls),
                _answered(first.function_calls[0]),
            ),
        )
    )

    assert first.function_calls[0].thought_signature == SIGNED_CALL.thought_signature
    assert second.text == "9.99 EUR"


def test_a_call_sent_back_without_its_thought_signature_is_rejected(scripted: Scripted) -> None:
    client, labels = scripted(
        ModelResponse(function_calls=(SIGNED_CALL,)), ModelResponse(text="never reached")
    )
    unsigned = SIGNED_CALL.model_copy(update={"thought_signature": None})

    with pytest.raises(PermanentError) as raised:
        client.generate(
            _request(
                labels,
                (ASK, Message(role="model", function_calls=(unsigned,)), _answered(unsigned)),
            )
        )

    assert raised.value.code == "model_request_rejected"
    assert "thought_signature" in raised.value.message


def test_a_function_call_left_unanswered_is_rejected(scripted: Scripted) -> None:
    call = FunctionCall(call_index=0, name="http_fetch", args={"url": "https://c1.example/p"})
    client, labels = scripted(
        ModelResponse(function_calls=(call,)), ModelResponse(text="never reached")
    )
    unanswered = (ASK, Message(role="model", function_calls=(call,)), ASK)

    with pytest.raises(PermanentError) as raised:
        client.generate(_request(labels, unanswered))

    assert raised.value.code == "model_request_rejected"


def test_a_request_past_the_script_is_rejected(scripted: Scripted) -> None:
    client, labels = scripted(ModelResponse(text="only turn"))
    past = (ASK, Message(role="model", text="only turn"), Message(role="user", text="and now?"))

    with pytest.raises(PermanentError) as raised:
        client.generate(_request(labels, past))

    assert raised.value.code == "model_request_rejected"


def test_a_429_is_rate_limited_with_a_retry_delay(scripted: Scripted) -> None:
    client, labels = scripted(
        RateLimitedError("model_rate_limited", "Resource exhausted.", retry_after_s=10.0)
    )

    with pytest.raises(RateLimitedError) as raised:
        client.generate(_request(labels))

    assert raised.value.code == "model_rate_limited"
    assert raised.value.retry_after_s > 0


def test_a_503_is_transient(scripted: Scripted) -> None:
    client, labels = scripted(TransientError("model_unavailable", "The service is unavailable."))

    with pytest.raises(TransientError) as raised:
        client.generate(_request(labels))

    assert raised.value.code == "model_unavailable"
    assert not isinstance(raised.value, RateLimitedError)


# --- Vertex AI adapter only -----------------------------------------------------------------


def test_vertex_sends_the_system_prompt_and_messages(
    stack: Settings, emulator_script: Callable[..., dict[str, str]]
) -> None:
    labels = emulator_script(Turn(text="ok"))
    request = _request(labels)

    response = VertexModelClient(stack).generate(request)

    # The emulator estimates prompt tokens from systemInstruction and contents.
    sent = len(request.system_prompt) + len(ASK.text or "")
    assert response.prompt_tokens == math.ceil(sent / CHARS_PER_TOKEN)
    assert response.raw["candidates"][0]["content"]["parts"] == [{"text": "ok"}]
    assert "sdk_http_response" not in response.raw


def test_vertex_a_timeout_is_transient(
    stack: Settings, emulator_script: Callable[..., dict[str, str]]
) -> None:
    labels = emulator_script(Turn(text="too late", delay_s=2.0))

    with pytest.raises(TransientError) as raised:
        VertexModelClient(stack).generate(_request(labels, timeout_s=0.5))

    assert raised.value.code == "model_unavailable"


def test_vertex_an_unscripted_request_is_rejected_with_the_service_message(
    stack: Settings, namespace: str
) -> None:
    labels = {"test": f"unregistered-{namespace}"}

    with pytest.raises(PermanentError) as raised:
        VertexModelClient(stack).generate(_request(labels))

    assert raised.value.code == "model_request_rejected"
    assert "no script matches" in raised.value.message
