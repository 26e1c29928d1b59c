"""Rebuilding a run's conversation from its stored steps: the loop keeps no state in memory."""

from __future__ import annotations

import json
import re

from shared.domain.model_io import FunctionResponse, Message, ModelRequest
from shared.domain.runs import Run
from shared.domain.spec import AgentSpec
from shared.domain.steps import ModelStep, ToolCallResult, ToolCallStatus
from shared.tools.registry import declarations

_LABEL_UNSAFE = re.compile(r"[^a-z0-9_-]")


def label_value(value: str) -> str:
    """``value`` made a valid Vertex AI label value (lowercase, ``[a-z0-9_-]``, ≤ 63 chars)."""
    return _LABEL_UNSAFE.sub("-", value.lower())[:63]


def _response_of(result: ToolCallResult) -> dict[str, object]:
    if result.status == ToolCallStatus.SUCCEEDED:
        return result.output
    return {"error": result.error or result.status.value, "status": result.status.value}


def model_timeout_s(spec: AgentSpec) -> float:
    """Time limit of one model call, in seconds: 60, or the run's whole limit when shorter."""
    return min(60.0, spec.limits.timeout_s)


def build_request(
    spec: AgentSpec, run: Run, steps: list[ModelStep], results: list[ToolCallResult]
) -> ModelRequest:
    """The request of the model step after ``steps``.

    The conversation is the run's input (as JSON) from the user, then for each step the model's
    turn and the tool results as function responses, in call order.

    Args:
        spec: The pinned spec.
        run: The run.
        steps: Stored steps, in order.
        results: Stored tool results of those steps.

    Returns:
        The request; labels ``switchyard-agent`` and ``switchyard-run`` name the agent and run
        (Vertex AI reports usage by label; the local model emulator selects scripts by them).
    """
    by_call = {(r.step, r.call_index): r for r in results}
    messages = [Message(role="user", text=json.dumps(run.input, ensure_ascii=False))]
    for step in steps:
        messages.append(Message(role="model", text=step.text, function_calls=step.function_calls))
        if step.function_calls:
            responses = tuple(
                FunctionResponse(
                    name=call.name,
                    id=call.id,
                    response=_response_of(by_call[(step.step, call.call_index)]),
                )
                for call in step.function_calls
            )
            messages.append(Message(role="user", function_responses=responses))
    return ModelRequest(
        model=spec.model,
        system_prompt=spec.system_prompt,
        messages=tuple(messages),
        tools=declarations(spec),
        labels={
            "switchyard-agent": label_value(spec.name),
            "switchyard-run": label_value(run.run_id),
        },
        timeout_s=model_timeout_s(spec),
    )
