"""What the agent loop sends to a model and gets back, independent of any SDK."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.domain.base import Model
from shared.domain.spec import ModelConfig
from shared.domain.steps import FunctionCall


class ToolDeclaration(Model):
    """A function the model may call.

    Attributes:
        name: Tool name.
        description: What it does, for the model.
        parameters: JSON Schema (OpenAPI subset) of its arguments.
    """

    name: str
    description: str
    parameters: dict[str, Any]


class FunctionResponse(Model):
    """The result of a tool call, returned to the model.

    Attributes:
        name: Tool name.
        id: The model's call id, when it gave one.
        response: The result object.
    """

    name: str
    id: str | None = None
    response: dict[str, Any]


class Message(Model):
    """One turn of the conversation."""

    role: Literal["user", "model"]
    text: str | None = None
    function_calls: tuple[FunctionCall, ...] = ()
    function_responses: tuple[FunctionResponse, ...] = ()


class ModelRequest(Model):
    """One model step's request.

    Attributes:
        model: Model id and sampling settings.
        system_prompt: The agent's system instruction.
        messages: The conversation so far, oldest first.
        tools: Declarations of the tools the agent may call.
        labels: Request labels (Vertex AI bills and reports by them; keys and values are
            lowercase letters, digits, ``_`` and ``-``, at most 63 characters).
        timeout_s: Time limit of the call, in seconds.
    """

    model: ModelConfig
    system_prompt: str
    messages: tuple[Message, ...]
    tools: tuple[ToolDeclaration, ...] = ()
    labels: dict[str, str] = Field(default_factory=dict)
    timeout_s: float = 60.0


class ModelResponse(Model):
    """One model step's response.

    Attributes:
        text: Answer text, if any.
        function_calls: Tool calls asked for, in order.
        finish_reason: The model's finish reason name, such as ``STOP``.
        prompt_tokens: Input tokens billed.
        completion_tokens: Output tokens billed.
        raw: The response body as the model service returned it, for the trace.
    """

    text: str | None = None
    function_calls: tuple[FunctionCall, ...] = ()
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    raw: dict[str, Any] = Field(default_factory=dict)
