"""Assertions on the run's measurements read them from EvalContext (promptfoo 0.123
``src/assertions/{latency,cost,perplexity,finishReason,toolCallF1}.ts``)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from shared.domain.runs import Usage
from shared.domain.spec import Assertion
from shared.domain.steps import FunctionCall
from shared.evals.assertions import run_assertion
from shared.evals.context import EvalContext
from shared.evals.pricing import PRICES, Price, cost_usd, price_of


def _run(
    kind: str, context: EvalContext, output: str = "x", **fields: Any
) -> tuple[bool, float, str]:
    result = run_assertion(Assertion(type=kind, **fields), output, context)
    return result.passed, result.score, result.reason


def test_latency_is_at_most_the_threshold_in_ms() -> None:
    assert _run("latency", EvalContext(latency_ms=1000), threshold=1000)[0]
    assert _run("latency", EvalContext(latency_ms=1500), threshold=1000) == (
        False,
        0.0,
        "Latency 1500ms is greater than threshold 1000ms",
    )
    assert _run("not-latency", EvalContext(latency_ms=1500), threshold=1000)[0]


def test_cost_comes_from_the_price_table() -> None:
    usage = Usage(prompt_tokens=100_000, completion_tokens=10_000)
    context = EvalContext(model="gemini-2.5-flash", usage=usage)

    # 100k * $0.30/1M + 10k * $2.50/1M
    assert context.measured_cost_usd() == pytest.approx(0.055)
    assert _run("cost", context, threshold=0.05) == (
        False,
        0.0,
        "Cost 0.055 is greater than threshold 0.05",
    )
    assert _run("cost", context, threshold=0.06)[0]


def test_a_given_cost_wins_over_the_table_and_unknown_models_fail() -> None:
    assert EvalContext(cost_usd=0.2, model="gemini-2.5-pro").measured_cost_usd() == 0.2
    unknown = EvalContext(model="gpt-9", usage=Usage(prompt_tokens=1))
    passed, _, reason = _run("cost", unknown, threshold=1)
    assert not passed and "cost is unknown" in reason


def test_prices_above_200k_prompt_tokens_and_model_versions() -> None:
    assert cost_usd("gemini-2.5-pro", 300_000, 0) == pytest.approx(0.75)  # $2.50/1M long tier
    assert cost_usd("gemini-2.5-pro", 100_000, 0) == pytest.approx(0.125)
    assert price_of("gemini-2.5-flash-preview-05-20") == PRICES["gemini-2.5-flash"]
    assert price_of("gemini-2.5-flash-lite-001") == PRICES["gemini-2.5-flash-lite"]
    own = {"my-model": Price(input=1.0, output=2.0)}
    assert cost_usd("my-model", 1_000_000, 1_000_000, own) == 3.0


def test_perplexity_is_exp_of_the_negative_mean_logprob() -> None:
    context = EvalContext(logprobs=(-0.1, -0.5, -0.2))
    perplexity = math.exp(0.8 / 3)  # ≈ 1.306

    assert _run("perplexity", context)[0]  # no threshold: measure only
    assert _run("perplexity", context, threshold=2)[0]
    assert _run("perplexity", context, threshold=1.05) == (
        False,
        0.0,
        f"Perplexity {perplexity:.2f} is greater than threshold 1.05",
    )
    assert not _run("perplexity", EvalContext(), threshold=2)[0]


@pytest.mark.parametrize(
    ("kind", "finish_reason", "passed"),
    [
        ("finish-reason", "stop", True),  # case-insensitive
        ("finish-reason", "MAX_TOKENS", False),
        ("finish-reason", None, False),  # not reported
        ("not-finish-reason", None, True),
        ("not-finish-reason", "STOP", False),
    ],
)
def test_finish_reason(kind: str, finish_reason: str | None, passed: bool) -> None:
    assert _run(kind, EvalContext(finish_reason=finish_reason), value="STOP")[0] is passed


def test_tool_call_f1_reads_the_runs_tool_calls() -> None:
    calls = (
        FunctionCall(call_index=0, name="http_fetch"),
        FunctionCall(call_index=1, name="http_fetch"),
        FunctionCall(call_index=2, name="slack_post"),
    )
    context = EvalContext(tool_calls=calls)

    assert _run("tool-call-f1", context, value=["http_fetch", "slack_post"])[:2] == (True, 1.0)
    passed, score, reason = _run("tool-call-f1", context, value="http_fetch")
    assert (passed, score) == (False, pytest.approx(2 / 3))
    assert reason.startswith("Tool Call F1 score 0.667 is below threshold 1.")
    assert _run("tool-call-f1", context, value="http_fetch", threshold=0.6)[0]
    # promptfoo scores the F1 itself for not-tool-call-f1 too.
    assert _run("not-tool-call-f1", context, value="http_fetch")[:2] == (True, pytest.approx(2 / 3))


def test_tool_call_f1_reads_tool_calls_from_the_output_without_a_context() -> None:
    output = 'I will call:\n{"functionCall": {"name": "search", "args": {}}}\ndone'

    assert _run("tool-call-f1", EvalContext(), output=output, value="search")[0]
    assert not _run("tool-call-f1", EvalContext(), output="no tools", value="search")[0]


def test_is_refusal() -> None:
    assert _run("is-refusal", EvalContext(), output="I\u2019m sorry, I can't help with that")[0]
    assert _run("not-is-refusal", EvalContext(), output="Here are the prices.")[0]
    # An empty answer is a refusal, scored 0 even though it passes.
    assert _run("is-refusal", EvalContext(), output="  ") == (
        True,
        0.0,
        "Empty response treated as refusal",
    )
