"""The Vertex AI ``generateContent`` JSON: decoding requests, rendering turns and errors.

Requests and responses are (de)serialised with google-genai's own ``types``, whose camelCase
aliases are the REST field names, so the emulator speaks exactly the JSON the client sends and
parses. Reference: https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1beta1/projects.locations.publishers.models/generateContent

Token counts are an estimate, deterministic so tests can assert them: one token per four
characters, rounded up, of every text part plus, for each function call or response, its name
and its arguments or response as compact JSON with sorted keys. The prompt count covers
``systemInstruction`` and ``contents`` (tool declarations and media parts count nothing);
the candidates count covers the answer.
"""

from __future__ import annotations

import base64
import json
import math
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from google.genai import types
from pydantic import BaseModel, ConfigDict, Field

from emulators.vertex.script import Turn

CHARS_PER_TOKEN = 4


class GenerateContentRequest(BaseModel):
    """The parts of a ``generateContent`` request body the emulator reads.

    Attributes:
        contents: The conversation so far, oldest first.
        system_instruction: The system prompt, if any (wire name ``systemInstruction``).
        tools: Tools the model may call.
        labels: Vertex request labels, which select the script.
    """

    # The body also carries generationConfig, toolConfig and safety settings, which a scripted
    # model has no use for, so unknown fields are ignored rather than refused.
    model_config = ConfigDict(frozen=True, extra="ignore")

    contents: tuple[types.Content, ...] = Field(min_length=1)
    system_instruction: types.Content | None = Field(default=None, alias="systemInstruction")
    tools: tuple[types.Tool, ...] = ()
    labels: dict[str, str] = Field(default_factory=dict)


def error_body(code: int, status: str, message: str) -> dict[str, Any]:
    """Google's error JSON, ``{"error": {"code", "message", "status"}}``.

    Args:
        code: HTTP status.
        status: Canonical status name, such as ``"INVALID_ARGUMENT"``.
        message: Human-readable detail.
    """
    return {"error": {"code": code, "message": message, "status": status}}


def _compact_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def count_tokens(contents: Iterable[types.Content]) -> int:
    """The deterministic token estimate of some contents (see the module docstring).

    Args:
        contents: Contents whose parts to count.

    Returns:
        ``ceil(characters / 4)`` tokens.
    """
    characters = 0
    for content in contents:
        for part in content.parts or ():
            characters += len(part.text or "")
            if part.function_call is not None:
                call = part.function_call
                characters += len(call.name or "") + len(_compact_json(call.args or {}))
            if part.function_response is not None:
                response = part.function_response
                characters += len(response.name or "") + len(_compact_json(response.response or {}))
    return math.ceil(characters / CHARS_PER_TOKEN)


def _parts(text: str | None, calls: Iterable[types.Part]) -> list[types.Part]:
    return ([types.Part(text=text)] if text is not None else []) + list(calls)


def _function_calls(turn: Turn) -> list[types.Part]:
    return [
        types.Part(
            function_call=types.FunctionCall(name=call.name, args=call.args, id=call.id),
            thought_signature=(
                base64.b64decode(call.thought_signature) if call.thought_signature else None
            ),
        )
        for call in turn.function_calls
    ]


def _usage(
    turn: Turn, request: GenerateContentRequest
) -> types.GenerateContentResponseUsageMetadata:
    override = turn.usage
    prompt = [request.system_instruction] if request.system_instruction else []
    prompt_tokens = count_tokens([*prompt, *request.contents])
    answer = types.Content(role="model", parts=_parts(turn.text, _function_calls(turn)))
    candidates_tokens = count_tokens([answer])
    if override is not None and override.prompt_token_count is not None:
        prompt_tokens = override.prompt_token_count
    if override is not None and override.candidates_token_count is not None:
        candidates_tokens = override.candidates_token_count
    total_tokens = prompt_tokens + candidates_tokens
    if override is not None and override.total_token_count is not None:
        total_tokens = override.total_token_count
    return types.GenerateContentResponseUsageMetadata(
        prompt_token_count=prompt_tokens,
        candidates_token_count=candidates_tokens,
        total_token_count=total_tokens,
    )


def _response(
    parts: list[types.Part],
    model: str,
    response_id: str,
    finish_reason: types.FinishReason | None = None,
    usage: types.GenerateContentResponseUsageMetadata | None = None,
) -> dict[str, Any]:
    response = types.GenerateContentResponse(
        candidates=[
            types.Candidate(
                index=0,
                content=types.Content(role="model", parts=parts),
                finish_reason=finish_reason,
            )
        ],
        model_version=model,
        response_id=response_id,
        usage_metadata=usage,
    )
    return response.model_dump(mode="json", by_alias=True, exclude_none=True)


def render_response(turn: Turn, request: GenerateContentRequest, model: str) -> dict[str, Any]:
    """The ``generateContent`` response body of a scripted (non-error) turn.

    Args:
        turn: The turn to answer with.
        request: The request it answers, for the prompt token count.
        model: Model id from the URL, reported as ``modelVersion``.

    Returns:
        A ``GenerateContentResponse`` as JSON, with a fresh random ``responseId``.
    """
    return _response(
        _parts(turn.text, _function_calls(turn)),
        model,
        uuid.uuid4().hex,
        turn.finish_reason,
        _usage(turn, request),
    )


def render_stream(
    turn: Turn, request: GenerateContentRequest, model: str
) -> Iterator[dict[str, Any]]:
    """The ``streamGenerateContent`` chunks of a scripted (non-error) turn.

    The text streams one word (with its surrounding whitespace) per chunk, so joining the
    chunks' text gives the scripted text back. As on Vertex AI, the last chunk carries the
    function calls, ``finishReason`` and ``usageMetadata``, and every chunk the same
    ``responseId``.

    Args:
        turn: The turn to answer with.
        request: The request it answers, for the prompt token count.
        model: Model id from the URL, reported as ``modelVersion``.

    Yields:
        ``GenerateContentResponse`` chunks as JSON.
    """
    response_id = uuid.uuid4().hex
    words = re.findall(r"\s*\S+\s*", turn.text or "") or [turn.text]
    for word in words[:-1]:
        yield _response(_parts(word, []), model, response_id)
    yield _response(
        _parts(words[-1], _function_calls(turn)),
        model,
        response_id,
        turn.finish_reason,
        _usage(turn, request),
    )
