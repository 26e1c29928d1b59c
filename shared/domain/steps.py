"""Model steps and tool calls: the durable record of an agent loop.

A run's loop is a sequence of model steps. A step whose model response asks for tools fans out
into tool calls, each stored in a document of its own (no shared counter: fan-in reads them).
The full request and response bodies go to the trace in Cloud Storage; these records keep the
summary (tokens, latency, outcome) and the trace URI.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from shared.domain.base import Model


class FunctionCall(Model):
    """A tool call the model asked for.

    Attributes:
        call_index: Position in the step's list of calls, from 0.
        name: Tool name.
        args: Arguments the model gave.
        id: The model's own call id, when it gives one.
        thought_signature: Gemini's opaque signature of the reasoning behind the call, base64,
            when it gives one. It must go back with the call on every later turn: Gemini 3
            rejects function calling whose signatures are missing
            (https://cloud.google.com/vertex-ai/generative-ai/docs/thinking#thought-signatures).
    """

    call_index: int
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None
    thought_signature: str | None = None


class ModelStep(Model):
    """One model step, stored once its model response is in.

    Attributes:
        step: Step index, from 0.
        text: Text the model answered, if any.
        function_calls: Tool calls it asked for, in order.
        finish_reason: The model's finish reason, such as ``STOP``.
        prompt_tokens: Input tokens of this step.
        completion_tokens: Output tokens of this step.
        latency_s: Model call wall time, in seconds.
        trace_uri: ``gs://`` URI of the request and response bodies.
        completed_at: When the response was stored (UTC).
    """

    schema_version: Literal[1] = 1
    step: int
    text: str | None = None
    function_calls: tuple[FunctionCall, ...] = ()
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    trace_uri: str | None = None
    completed_at: datetime


class ToolCallStatus(StrEnum):
    """Outcome of a tool call."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUSED = "refused"


class ToolCallResult(Model):
    """The stored outcome of one tool call.

    Attributes:
        step: Step that asked for the call.
        call_index: Position within the step.
        name: Tool name.
        status: Succeeded, failed (after retries), or refused (policy).
        output: What the model is shown as the function response.
        error: Reason when not succeeded.
        latency_s: Wall time of the successful or last attempt, in seconds.
        attempts: Attempts made (Cloud Tasks execution count).
        trace_uri: ``gs://`` URI of the tool input and output.
        completed_at: When the result was stored (UTC).
    """

    schema_version: Literal[1] = 1
    step: int
    call_index: int
    name: str
    status: ToolCallStatus
    output: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    latency_s: float = 0.0
    attempts: int = 1
    trace_uri: str | None = None
    completed_at: datetime
