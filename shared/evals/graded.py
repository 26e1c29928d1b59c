"""Model-graded assertions: ``llm-rubric``, ``factuality``, ``model-graded-closedqa`` and
``g-eval``, graded through the ``ModelClient`` port with promptfoo 0.123's prompts and rules.

Sources: promptfoo ``src/matchers/llmGrading.ts`` (``matchesLlmRubric`` via
``runJsonGradingPrompt``, ``matchesFactuality``, ``matchesClosedQa``, ``matchesGEval``) and
``src/assertions/{llmRubric,factuality,modelGradedClosedQa,geval}.ts``;
https://www.promptfoo.dev/docs/configuration/expected-outputs/model-graded/.

Score rules:

- ``llm-rubric``: the first JSON object of the reply; ``pass`` defaults to true (a non-boolean
  is read as yes/true/pass/y), ``score`` defaults to ``pass`` as 1/0; with a ``threshold`` the
  score must also reach it. A reply with no JSON object fails with that reason.
- ``factuality``: category A, B, C or E passes with score 1, D (disagreement) fails with 0; a
  reply with no category falls back to ``(A)``-style text, else fails.
- ``model-graded-closedqa``: the reply, right-trimmed, ends with ``Y``.
- ``g-eval``: the grader first writes evaluation steps, then scores 0-10; the score is
  ``score / 10`` and passes at ``threshold`` (default 0.7). A list of criteria averages.

``not-`` inverts pass and score (``1 - score``), except when grading itself failed (no reply,
unparseable reply): that stays a failure. promptfoo 0.123 ignores ``not-`` on ``factuality``
and ``model-graded-closedqa``; here it inverts them like every other type.

Every grader call is kept in the result (request and reply) for the run's trace. A grader that
is unavailable (``TransientError``) is raised so the stage is retried; a grader that rejects
the request (``PermanentError``) fails the assertion with its message.
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

from shared.evals import prompts
from shared.evals._js import JS_WHITESPACE, js_number, js_string
from shared.evals.grader import GraderFailed, call, graded, render_prompt, template_of, try_parse
from shared.evals.json_checks import extract_json_objects
from shared.evals.results import (
    AssertionValueError,
    Check,
    GraderExchange,
    MissingMeasurementError,
    Outcome,
)
from shared.evals.text import js_to_number

if TYPE_CHECKING:
    from shared.domain.spec import Assertion

G_EVAL_DEFAULT_THRESHOLD = 0.7
G_EVAL_MAX_SCORE = 10
FACTUALITY_SCORES = {"A": 1.0, "B": 1.0, "C": 1.0, "D": 0.0, "E": 1.0}
FACTUALITY_DESCRIPTIONS = {
    "A": "The submitted answer is a subset of the expert answer and is fully consistent with it.",
    "B": "The submitted answer is a superset of the expert answer and is fully consistent with it.",
    "C": "The submitted answer contains all the same details as the expert answer.",
    "D": "There is a disagreement between the submitted answer and the expert answer.",
    "E": "The answers differ, but these differences don't matter from the perspective of "
    "factuality.",
}
_JS_LINE = "[^\\n\\r\\u2028\\u2029]"


# --- llm-rubric ------------------------------------------------------------------------------


def _js_truthy_number(value: Any) -> float:
    """``Number(value)`` for a JSON value (NaN when it has no number)."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return js_to_number(value)
    if isinstance(value, list):
        return 0.0 if not value else _js_truthy_number(value[0]) if len(value) == 1 else math.nan
    return math.nan


def _grade_rubric(check: Check, trace: list[GraderExchange]) -> Outcome:
    variables = {"output": try_parse(check.output), "rubric": check.assertion.value or ""}
    reply = call(
        check, render_prompt(template_of(check, prompts.DEFAULT_GRADING_PROMPT), variables), trace
    )
    objects = [o for o in extract_json_objects(reply) if isinstance(o, dict)]
    if not objects:
        raise GraderFailed("Could not extract JSON from llm-rubric response")
    parsed = objects[0]
    passed: Any = parsed.get("pass", True)
    if passed is None:
        passed = True
    if not isinstance(passed, bool):
        passed = bool(re.fullmatch(r"true|yes|pass|y", js_string(passed), re.IGNORECASE))
    if (
        "score" in parsed
        and isinstance(parsed["score"], int | float)
        and not isinstance(parsed["score"], bool)
    ):
        score = float(parsed["score"])
    else:
        number = _js_truthy_number(parsed.get("score")) if "score" in parsed else math.nan
        score = number if math.isfinite(number) else float(passed)
    threshold = check.assertion.threshold
    if threshold is not None:
        passed = passed and score >= threshold
    reason = parsed.get("reason") or (
        "Grading passed"
        if passed
        else f"Score {js_number(score)} below threshold "
        f"{'undefined' if threshold is None else js_number(threshold)}"
    )
    return Outcome(passed, score, js_string(reason))


def check_llm_rubric(check: Check) -> Outcome:
    """The grader judges the output against the rubric in ``value``."""
    return graded(check, _grade_rubric)


# --- factuality -------------------------------------------------------------------------------


def _require_prompt(check: Check) -> str:
    if not check.context.prompt:
        raise MissingMeasurementError(
            f"{check.base_type} assertion: the run's input (context.prompt) is needed"
        )
    return check.context.prompt


def _grade_factuality(check: Check, trace: list[GraderExchange]) -> Outcome:
    variables = {
        "input": _require_prompt(check),
        "ideal": check.assertion.value,
        "completion": try_parse(check.output),
    }
    reply = call(
        check,
        render_prompt(template_of(check, prompts.PROMPTFOO_FACTUALITY_PROMPT), variables),
        trace,
    )
    objects = extract_json_objects(reply)
    category = objects[0].get("category") if objects and isinstance(objects[0], dict) else None
    if isinstance(category, str) and category:
        option = category.strip().upper()
        if not re.fullmatch("[A-E]", option):
            raise GraderFailed(f"Invalid category value: {option}")
        reason = js_string(objects[0].get("reason") or "").strip() or (
            f"Category {option}: {FACTUALITY_DESCRIPTIONS[option]}"
        )
    else:
        match = re.search(r"\(?([a-eA-E])\)", reply)
        if match is None:
            raise GraderFailed(f"Factuality checker output did not match expected format: {reply}")
        option = match.group(1).upper()
        rest = re.search(r"\)\s*(.*)", reply, re.DOTALL)
        reason = rest.group(1).strip() if rest and rest.group(1) else reply
    score = FACTUALITY_SCORES[option]
    return Outcome(score > 0, score, reason)


def check_factuality(check: Check) -> Outcome:
    """The grader compares the output's facts with the reference answer in ``value``."""
    return graded(check, _grade_factuality)


# --- model-graded-closedqa ---------------------------------------------------------------


def _grade_closed_qa(check: Check, trace: list[GraderExchange]) -> Outcome:
    variables = {
        "input": _require_prompt(check),
        "criteria": check.assertion.value,
        "completion": try_parse(check.output),
    }
    reply = call(
        check, render_prompt(template_of(check, prompts.OPENAI_CLOSED_QA_PROMPT), variables), trace
    )
    end = reply.rstrip(JS_WHITESPACE)  # String.prototype.trimEnd
    if end.endswith("Y"):
        return Outcome(True, 1.0, f"The submission meets the criterion:\n{reply}")
    if end.endswith("N"):
        return Outcome(False, 0.0, f"The submission does not meet the criterion:\n{reply}")
    raise GraderFailed(f"Model grader produced a malformed response:\n{reply}")


def check_closed_qa(check: Check) -> Outcome:
    """The grader answers Y or N: does the output meet the criterion in ``value``?"""
    return graded(check, _grade_closed_qa)


# --- g-eval --------------------------------------------------------------------------------


def _first_json(reply: str, pattern: str, what: str) -> Any:
    match = re.search(pattern, reply)
    if match is None:
        raise GraderFailed(f"LLM-proposed evaluation {what} not in JSON format: {reply}")
    try:
        return json.loads(match.group())
    except ValueError as error:
        raise GraderFailed(
            f"LLM-proposed evaluation {what} not in JSON format: {error}\n\n{reply}"
        ) from None


def _grade_criterion(
    check: Check, criterion: str, trace: list[GraderExchange]
) -> tuple[float, str]:
    source = check.context.prompt
    if not source:
        raise MissingMeasurementError(
            "g-eval assertion: the run's input (context.prompt) is needed: "
            "No source text to estimate reply"
        )
    reply = call(check, render_prompt(prompts.GEVAL_PROMPT_STEPS, {"criteria": criterion}), trace)
    steps = _first_json(reply, r'\{"steps"' + _JS_LINE + r"+\}", "steps are").get("steps")
    if not isinstance(steps, list):
        raise GraderFailed(
            f"G-Eval steps response has invalid or missing steps: {json.dumps(steps)}"
        )
    if not steps:
        raise GraderFailed("LLM does not propose any evaluation step")
    if not all(isinstance(step, str) and step.strip() for step in steps):
        raise GraderFailed(f"G-Eval steps response contains invalid steps: {json.dumps(steps)}")
    variables = {
        "criteria": criterion,
        "steps": "\n- ".join(steps),
        "maxScore": str(G_EVAL_MAX_SCORE),
        "input": try_parse(source),
        "output": try_parse(check.output),
    }
    reply = call(check, render_prompt(prompts.GEVAL_PROMPT_EVALUATE, variables), trace)
    result = _first_json(reply, r"\{" + _JS_LINE + r"+\}", "result is")
    raw = result.get("score") if isinstance(result, dict) else None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        number = math.nan
    elif isinstance(raw, str):
        number = js_to_number(raw) if raw.strip() else math.nan
    else:
        number = float(raw)
    if not math.isfinite(number):
        raise GraderFailed(f"G-Eval result has invalid or missing score: {json.dumps(raw)}")
    if number < 0 or number > G_EVAL_MAX_SCORE:
        raise GraderFailed(
            f"G-Eval result score {js_number(number)} is outside the expected 0-"
            f"{G_EVAL_MAX_SCORE} range"
        )
    reason = result.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise GraderFailed(f"G-Eval result has invalid or missing reason: {json.dumps(reason)}")
    return number / G_EVAL_MAX_SCORE, reason


def _grade_g_eval(check: Check, trace: list[GraderExchange]) -> Outcome:
    value = check.assertion.value
    criteria = [value] if isinstance(value, str) else list(value)
    threshold = (
        G_EVAL_DEFAULT_THRESHOLD if check.assertion.threshold is None else check.assertion.threshold
    )
    scores, reasons = [], []
    for index, criterion in enumerate(criteria):
        try:
            score, reason = _grade_criterion(check, criterion, trace)
        except GraderFailed as failure:
            if isinstance(value, str):
                raise
            raise GraderFailed(
                f"G-Eval criterion {index + 1}/{len(criteria)} ({json.dumps(criterion)}) "
                f"failed: {failure}"
            ) from None
        scores.append(score)
        reasons.append(reason)
    average = sum(scores) / len(scores)
    return Outcome(average >= threshold, average, "\n\n".join(reasons))


def check_g_eval(check: Check) -> Outcome:
    """G-Eval (Liu et al., 2023): criteria → evaluation steps → a 0-10 score."""
    return graded(check, _grade_g_eval)


# --- validation ------------------------------------------------------------------------------


def validate_rubric(assertion: Assertion) -> None:
    """``llm-rubric`` needs a rubric (text or object), unless a ``rubricPrompt`` holds it."""
    value = assertion.value
    if value is None and not assertion.rubric_prompt:
        raise AssertionValueError('"llm-rubric" needs a rubric as its value')
    if value is not None and not isinstance(value, str | dict):
        raise AssertionValueError('"llm-rubric" value must be text or an object')
    _check_rubric_prompt(assertion)


def validate_reference(assertion: Assertion) -> None:
    """``factuality``/``model-graded-closedqa`` need a string (reference answer, criterion)."""
    if not (isinstance(assertion.value, str) and assertion.value):
        raise AssertionValueError(f'"{assertion.type}" needs a string value')
    _check_rubric_prompt(assertion)


def validate_criteria(assertion: Assertion) -> None:
    """``g-eval`` needs a criterion or a non-empty list of them."""
    value = assertion.value
    ok = (isinstance(value, str) and value) or (
        isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)
    )
    if not ok:
        raise AssertionValueError('"g-eval" needs a criterion string or a list of them')
    if assertion.rubric_prompt:
        raise AssertionValueError(
            '"g-eval" uses its own two prompts; rubricPrompt is not supported'
        )


def _check_rubric_prompt(assertion: Assertion) -> None:
    template = assertion.rubric_prompt
    if template is None:
        return
    if not template.strip():
        raise AssertionValueError("rubricPrompt is empty")
