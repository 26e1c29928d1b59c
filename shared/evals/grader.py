"""Calling a grader model: render promptfoo's grading prompts, send them through the
``ModelClient`` port, keep every exchange for the trace, and apply ``not-`` to a grade.

Prompts are rendered as promptfoo renders them (``renderLlmRubricPrompt``): a JSON chat array
has each message's text filled, plain text becomes one user turn; grading variables print the
Nunjucks way (objects as JSON, ``null`` as nothing). System messages become the request's
system prompt; a prompt with only a system message (closed QA) is sent as the user turn.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from shared.domain.model_io import Message, ModelRequest
from shared.errors import PermanentError
from shared.evals._js import js_string
from shared.evals.results import Check, GraderExchange, MissingMeasurementError, Outcome

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class GraderFailed(Exception):
    """Grading itself failed (no reply, a reply the rule cannot read): the assertion fails,
    whatever its ``not-``."""


Grade = Callable[[Check, list[GraderExchange]], Outcome]


def try_parse(text: str) -> Any:
    """promptfoo ``tryParse``: the JSON value of ``text``, or ``text`` itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _template_value(value: Any) -> str:
    # Nunjucks output of promptfoo's grading vars: objects are JSON-stringified first
    # (processContextForTemplating), arrays print as their items joined by commas.
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, list):
        return ",".join(_template_value(v) if not isinstance(v, str) else v for v in value)
    return js_string(value)


def render_template(template: str, variables: dict[str, Any]) -> str:
    """Fill ``{{ name }}`` placeholders (the subset of Nunjucks the grading prompts use)."""
    return _PLACEHOLDER.sub(lambda m: _template_value(variables.get(m.group(1))), template)


def render_prompt(template: str, variables: dict[str, Any]) -> list[dict[str, str]]:
    """The chat messages of a grading prompt: a JSON chat array, or plain text (one user turn)."""
    try:
        parsed = json.loads(template)
    except ValueError:
        parsed = None
    if isinstance(parsed, list) and all(
        isinstance(m, dict) and isinstance(m.get("role"), str) for m in parsed
    ):
        return [
            {"role": m["role"], "content": render_template(str(m.get("content", "")), variables)}
            for m in parsed
        ]
    return [{"role": "user", "content": render_template(template, variables)}]


def _request(check: Check, messages: list[dict[str, str]]) -> ModelRequest:
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    turns = [
        Message(role="model" if m["role"] == "assistant" else "user", text=m["content"])
        for m in messages
        if m["role"] != "system"
    ]
    if not turns:
        # A system-only prompt (promptfoo's closed-QA one) is the user turn.
        turns, system = [Message(role="user", text=system)], ""
    context = check.context
    model = context.grader_model
    if check.assertion.provider:
        model = model.model_copy(update={"name": check.assertion.provider})
    return ModelRequest(
        model=model,
        system_prompt=system,
        messages=tuple(turns),
        labels={**context.grader_labels, "switchyard_purpose": "eval_grader"},
        timeout_s=context.grader_timeout_s,
    )


def call(check: Check, messages: list[dict[str, str]], trace: list[GraderExchange]) -> str:
    """Send one grading prompt; the reply text.

    Raises:
        MissingMeasurementError: No grader model client in the context.
        GraderFailed: The grader rejected the request or returned no text.
        TransientError: The grader is unavailable; retry the stage.
    """
    grader = check.context.grader
    if grader is None:
        raise MissingMeasurementError(
            f"{check.base_type} assertion: no grader model client is configured"
        )
    request = _request(check, messages)
    try:
        response = grader.generate(request)
    except PermanentError as error:
        trace.append(GraderExchange(request=request, error=f"{error.code}: {error.message}"))
        raise GraderFailed(f"grader request rejected: {error.message}") from None
    trace.append(GraderExchange(request=request, response=response))
    if not response.text:
        raise GraderFailed("No output")
    return response.text


def template_of(check: Check, default: str) -> str:
    """The assertion's ``rubricPrompt``, or promptfoo's ``default`` prompt."""
    return check.assertion.rubric_prompt or default


def _invert(outcome: Outcome, inverse: bool) -> Outcome:
    if not inverse:
        return outcome
    score = min(1.0, max(0.0, 1 - (outcome.score if math.isfinite(outcome.score) else 0.0)))
    return Outcome(not outcome.passed, score, outcome.reason, outcome.grader)


def graded(check: Check, grade: Grade) -> Outcome:
    """Run ``grade`` with a fresh trace, turn a :class:`GraderFailed` into a failed outcome,
    and apply ``not-`` to a real grade (pass flipped, score ``1 - score`` clamped to 0..1).

    Raises:
        MissingMeasurementError: No grader, or no prompt where the type needs one.
        TransientError: The grader is unavailable; retry the stage.
    """
    trace: list[GraderExchange] = []
    try:
        outcome: Outcome = grade(check, trace)
    except GraderFailed as failure:
        return Outcome(False, 0.0, str(failure), tuple(trace))
    return _invert(
        Outcome(outcome.passed, outcome.score, outcome.reason, tuple(trace)), check.inverse
    )
