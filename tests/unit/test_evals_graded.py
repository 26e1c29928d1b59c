"""Model-graded assertions through the ModelClient port, with promptfoo 0.123's prompts and rules.

References: https://www.promptfoo.dev/docs/configuration/expected-outputs/model-graded/ and
promptfoo 0.123 ``src/matchers/llmGrading.ts``. The prompts are pinned by hash: they are
promptfoo's, verbatim, and the rendered requests were compared with what promptfoo sends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pytest

from shared.adapters.scripted_model_client import ScriptedModelClient
from shared.domain.model_io import ModelRequest, ModelResponse
from shared.domain.spec import Assertion, EvalSpec
from shared.errors import PermanentError, TransientError
from shared.evals import prompts
from shared.evals.assertions import run_assertion
from shared.evals.context import EvalContext
from shared.evals.gate import evaluate
from shared.evals.results import AssertionResult
from shared.ports.model_client import ModelClient


class Grader(ModelClient):
    """Answers each grader call with the next reply (grader calls are all first turns, so the
    scripted client would answer every one of them with its first turn)."""

    def __init__(self, replies: Sequence[str | Exception]) -> None:
        self._replies = list(replies)
        self.requests: list[ModelRequest] = []

    def generate(self, request: ModelRequest) -> ModelResponse:
        self.requests.append(request)
        reply = self._replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return ModelResponse(text=reply, prompt_tokens=10, completion_tokens=5)


def _grade(
    kind: str, value: Any, output: str, grader: ModelClient, **fields: Any
) -> AssertionResult:
    assertion = Assertion.model_validate({"type": kind, "value": value, **fields})
    return run_assertion(assertion, output, EvalContext(prompt="What is 2+2?", grader=grader))


def test_the_prompts_are_promptfoos_verbatim() -> None:
    digests = {
        name: hashlib.sha256(getattr(prompts, name).encode()).hexdigest()[:16]
        for name in (
            "DEFAULT_GRADING_PROMPT",
            "PROMPTFOO_FACTUALITY_PROMPT",
            "OPENAI_CLOSED_QA_PROMPT",
            "GEVAL_PROMPT_STEPS",
            "GEVAL_PROMPT_EVALUATE",
        )
    }

    assert digests == {
        "DEFAULT_GRADING_PROMPT": "fd77f54d7b23c859",
        "PROMPTFOO_FACTUALITY_PROMPT": "6d56609434da9508",
        "OPENAI_CLOSED_QA_PROMPT": "c2cf32feda0a66bf",
        "GEVAL_PROMPT_STEPS": "76656f76a98d7bcd",
        "GEVAL_PROMPT_EVALUATE": "6763d2aeb3ac4ee8",
    }


def test_llm_rubric_with_the_scripted_model_client_keeps_the_trace() -> None:
    client = ScriptedModelClient(
        [ModelResponse(text='{"reason": "mentions EUR", "pass": true, "score": 0.9}')]
    )

    result = _grade("llm-rubric", "States the currency", "12 EUR", client)

    assert (result.passed, result.score, result.reason) == (True, 0.9, "mentions EUR")
    (exchange,) = result.grader
    assert exchange.request.system_prompt.startswith("You are grading output according to")
    assert exchange.request.messages[0].text == (
        "<Output>\n12 EUR\n</Output>\n<Rubric>\nStates the currency\n</Rubric>"
    )
    assert exchange.response is not None and exchange.response.text is not None
    assert client.requests == [exchange.request]


def test_a_grader_reply_that_is_not_json_fails_with_that_reason() -> None:
    result = _grade("llm-rubric", "polite", "hi", Grader(["Looks fine to me!"]))

    assert (result.passed, result.score) == (False, 0.0)
    assert result.reason == "Could not extract JSON from llm-rubric response"
    assert result.grader[0].response is not None  # the reply is kept for the trace


def test_not_llm_rubric_inverts_a_grade_but_never_a_grading_failure() -> None:
    assert (
        _grade("not-llm-rubric", "rude", "hi", Grader(['{"pass": false, "score": 0.2}'])).score
        == 0.8
    )
    failed = _grade("not-llm-rubric", "rude", "hi", Grader(["no json"]))
    assert not failed.passed


@pytest.mark.parametrize(
    ("reply", "passed", "score"),
    [
        ('{"pass": true}', True, 1.0),  # score defaults to pass as a number
        ('{"score": 0.2}', True, 0.2),  # pass defaults to true
        ('{"pass": "yes", "score": "0.4"}', True, 0.4),  # strings are read
        ('{"pass": false}', False, 0.0),
        ("Sure! {reason: fine, pass: true, score: 0.9}", True, 0.9),  # lenient extraction
        ('```json\n{"pass": true, "score": 0.8}\n```', True, 0.8),
    ],
)
def test_llm_rubric_score_rules(reply: str, passed: bool, score: float) -> None:
    result = _grade("llm-rubric", "is correct", "4", Grader([reply]))

    assert (result.passed, result.score) == (passed, score)


def test_an_llm_rubric_threshold_also_needs_the_score() -> None:
    result = _grade(
        "llm-rubric", "ok", "4", Grader(['{"pass": true, "score": 0.5}']), threshold=0.6
    )

    assert not result.passed


def test_the_assertion_provider_picks_the_grader_model() -> None:
    grader = Grader(['{"pass": true}'])

    _grade("llm-rubric", "ok", "4", grader, provider="gemini-2.5-pro")

    assert grader.requests[0].model.name == "gemini-2.5-pro"
    assert grader.requests[0].labels == {"switchyard_purpose": "eval_grader"}


def test_the_grader_request_carries_the_runs_labels() -> None:
    grader = Grader(['{"pass": true}'])
    assertion = Assertion.model_validate({"type": "llm-rubric", "value": "ok"})
    labels = {"switchyard-agent": "pricer", "switchyard-run": "r1"}

    run_assertion(assertion, "4", EvalContext(grader=grader, grader_labels=labels))

    assert grader.requests[0].labels == {**labels, "switchyard_purpose": "eval_grader"}


def test_a_custom_rubric_prompt_replaces_the_default() -> None:
    grader = Grader(['{"pass": true}'])

    _grade("llm-rubric", "polite", "hi", grader, rubricPrompt="Is <{{ output }}> {{ rubric }}?")

    assert grader.requests[0].messages[0].text == "Is <hi> polite?"


@pytest.mark.parametrize(
    ("reply", "passed", "score"),
    [
        ('{"category": "A", "reason": "subset"}', True, 1.0),
        ('{"category": "d", "reason": "disagrees"}', False, 0.0),
        ('{"category": "E"}', True, 1.0),
        ("(B) a superset", True, 1.0),  # promptfoo's legacy letter format
    ],
)
def test_factuality_categories(reply: str, passed: bool, score: float) -> None:
    result = _grade("factuality", "4", "The answer is 4", Grader([reply]))

    assert (result.passed, result.score) == (passed, score)


def test_factuality_shows_the_grader_question_reference_and_answer() -> None:
    grader = Grader(['{"category": "C"}'])

    _grade("factuality", "Four", "4", grader)

    text = grader.requests[0].messages[0].text or ""
    assert "<question>\nWhat is 2+2?\n</question>" in text
    assert "<expert_answer>\nFour\n</expert_answer>" in text
    assert "<submitted_answer>\n4\n</submitted_answer>" in text


def test_factuality_with_an_unknown_category_fails() -> None:
    result = _grade("factuality", "4", "4", Grader(['{"category": "F"}']))

    assert not result.passed and result.reason == "Invalid category value: F"


def test_closed_qa_reads_the_final_letter() -> None:
    assert _grade("model-graded-closedqa", "is 4", "4", Grader(["Reasoning.\nY\nY"])).passed
    assert not _grade("model-graded-closedqa", "is 4", "5", Grader(["Reasoning\nN\nN  "])).passed
    malformed = _grade("model-graded-closedqa", "is 4", "5", Grader(["maybe"]))
    assert malformed.reason.startswith("Model grader produced a malformed response")
    assert not _grade("not-model-graded-closedqa", "is 4", "5", Grader(["maybe"])).passed


def test_closed_qa_is_one_user_turn() -> None:
    grader = Grader(["Y"])

    _grade("model-graded-closedqa", "is 4", "4", grader)

    request = grader.requests[0]
    assert request.system_prompt == ""
    assert (request.messages[0].text or "").startswith("You are assessing a submitted answer")


def test_g_eval_writes_steps_then_scores_out_of_ten() -> None:
    grader = Grader(
        ['{"steps": ["Check the sum", "Check the wording"]}', '{"score": 8, "reason": "right"}']
    )

    result = _grade("g-eval", "Correctness", "4", grader)

    assert (result.passed, result.score, result.reason) == (True, 0.8, "right")
    assert len(result.grader) == 2
    assert "- Check the sum\n- Check the wording" in (grader.requests[1].messages[0].text or "")


def test_g_eval_averages_a_list_of_criteria_against_threshold_0_7() -> None:
    grader = Grader(
        [
            '{"steps":["s"]}',
            '{"score":8,"reason":"a"}',
            '{"steps":["s"]}',
            '{"score":4,"reason":"b"}',
        ]
    )

    result = _grade("g-eval", ["Correct", "Concise"], "4", grader)

    assert (result.passed, result.score, result.reason) == (False, pytest.approx(0.6), "a\n\nb")


@pytest.mark.parametrize(
    ("replies", "reason"),
    [
        (
            ["no steps here", ""],
            "LLM-proposed evaluation steps are not in JSON format: no steps here",
        ),
        (
            ['{"steps":["s"]}', '{"score": 11, "reason": "x"}'],
            "G-Eval result score 11 is outside the expected 0-10 range",
        ),
        (['{"steps":["s"]}', '{"score": 5}'], "G-Eval result has invalid or missing reason: null"),
    ],
)
def test_g_eval_grader_failures_fail_with_a_reason(replies: list[str], reason: str) -> None:
    result = _grade("not-g-eval", "Correctness", "4", Grader(replies))

    assert (result.passed, result.reason) == (False, reason)


def test_no_grader_configured_fails_the_assertion() -> None:
    result = run_assertion(Assertion(type="llm-rubric", value="ok"), "4")

    assert not result.passed
    assert "no grader model client is configured" in result.reason


def test_a_rejected_grader_request_fails_and_is_traced() -> None:
    grader = Grader([PermanentError("model_request_rejected", "bad request")])

    result = _grade("llm-rubric", "ok", "4", grader)

    assert not result.passed and result.reason == "grader request rejected: bad request"
    assert result.grader[0].error == "model_request_rejected: bad request"


def test_an_unavailable_grader_is_retried_by_the_stage() -> None:
    grader = Grader([TransientError("model_unavailable", "503")])
    spec = EvalSpec.model_validate({"name": "e", "assert": [{"type": "llm-rubric", "value": "ok"}]})

    with pytest.raises(TransientError):
        evaluate(spec, "4", EvalContext(grader=grader))


def test_the_grader_trace_serialises_with_the_eval_result() -> None:
    spec = EvalSpec.model_validate({"name": "e", "assert": [{"type": "llm-rubric", "value": "ok"}]})

    result = evaluate(spec, "4", EvalContext(grader=Grader(['{"pass": true}'])))

    dumped = result.model_dump(mode="json")
    assert dumped["assertions"][0]["grader"][0]["response"]["text"] == '{"pass": true}'
