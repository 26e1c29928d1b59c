"""Assertions on the run's measurements: ``latency``, ``cost``, ``perplexity``,
``finish-reason`` and ``tool-call-f1``, as promptfoo 0.123 checks them.

Sources: promptfoo ``src/assertions/{latency,cost,perplexity,finishReason,toolCallF1}.ts``;
https://www.promptfoo.dev/docs/configuration/expected-outputs/deterministic/.

The measurements come from :class:`shared.evals.context.EvalContext`. Where promptfoo throws
because a measurement is missing (a cached result has no latency, a provider reports no cost or
no logprobs), the assertion fails here with that reason.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from shared.evals._js import js_number
from shared.evals.results import AssertionValueError, Check, MissingMeasurementError, Outcome

if TYPE_CHECKING:
    from shared.domain.spec import Assertion


def _to_precision_2(value: float) -> str:
    """``Number.prototype.toPrecision(2)``."""
    if value == 0:
        return "0.0"
    exponent = math.floor(math.log10(abs(value)))
    if exponent < -6 or exponent >= 2:
        mantissa = f"{value / 10**exponent:.1f}"
        if mantissa.replace("-", "").startswith("10"):
            exponent += 1
            mantissa = f"{value / 10**exponent:.1f}"
        return f"{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
    return f"{value:.{max(0, 1 - exponent)}f}"


def check_latency(check: Check) -> Outcome:
    """The run's wall time is at most ``threshold`` milliseconds."""
    threshold = check.assertion.threshold
    latency = check.context.latency_ms
    if latency is None:
        raise MissingMeasurementError("latency assertion: the run's latency was not measured")
    assert threshold is not None  # validated
    passed = (latency <= threshold) != check.inverse
    relation = "less than or equal to" if check.inverse else "greater than"
    return Outcome.binary(
        passed,
        f"Latency {js_number(latency)}ms is {relation} threshold {js_number(threshold)}ms",
    )


def check_cost(check: Check) -> Outcome:
    """The run's cost is at most ``threshold`` USD."""
    threshold = check.assertion.threshold
    cost = check.context.measured_cost_usd()
    if cost is None:
        raise MissingMeasurementError(
            "cost assertion: the run's cost is unknown (no cost_usd, and no usage with a model "
            "in the price table)"
        )
    assert threshold is not None  # validated
    passed = (cost <= threshold) != check.inverse
    relation = "less than or equal to" if check.inverse else "greater than"
    return Outcome.binary(
        passed, f"Cost {_to_precision_2(cost)} is {relation} threshold {js_number(threshold)}"
    )


def check_perplexity(check: Check) -> Outcome:
    """exp(-mean logprob) is at most ``threshold``; without a threshold it always passes."""
    logprobs = check.context.logprobs
    if not logprobs:
        raise MissingMeasurementError(
            "perplexity assertion: the model returned no logprobs for the output"
        )
    perplexity = math.exp(-(sum(logprobs) / len(logprobs)))
    threshold = check.assertion.threshold
    passed = True if threshold is None else (perplexity <= threshold) != check.inverse
    relation = "less than or equal to" if check.inverse else "greater than"
    return Outcome.binary(
        passed,
        f"Perplexity {perplexity:.2f} is {relation} threshold "
        f"{'undefined' if threshold is None else js_number(threshold)}",
    )


def check_finish_reason(check: Check) -> Outcome:
    """The model's finish reason equals the value, ignoring case."""
    value, actual = check.assertion.value, check.context.finish_reason
    if not actual:
        return Outcome.binary(check.inverse, "Provider did not supply stop/finish reason")
    passed = (value.lower() == actual.lower()) != check.inverse
    return Outcome.binary(
        passed,
        f'Expected finish reason {"not " if check.inverse else ""}"{value}" but got "{actual}"',
    )


# --- tool-call-f1 --------------------------------------------------------------------------


def expected_tools(value: Any) -> list[str]:
    """The value as a list of tool names (a list, or a comma-separated string), blanks dropped."""
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return [name.strip() for name in items if name.strip()]


def tool_names(output: Any) -> set[str]:
    """Tool names in an output: the formats of promptfoo's ``extractToolNames`` (OpenAI
    ``tool_calls``, Responses ``function_call``, Anthropic ``tool_use``, Gemini
    ``functionCall`` and Live ``toolCall.functionCalls``, or a list of ``{name}``), from an
    object or from JSON text; in prose, from JSON objects or arrays that fill their lines.
    """
    names: set[str] = set()
    if output is None:
        return names
    if isinstance(output, str):
        try:
            parsed = json.loads(output)
        except ValueError:
            for block in _json_blocks(output):
                names |= tool_names(block)
            return names
        return tool_names(parsed)
    if isinstance(output, dict):
        if isinstance(output.get("tool_calls"), list):
            for call in output["tool_calls"]:
                if isinstance(call, dict):
                    function = call.get("function")
                    if isinstance(function, dict) and isinstance(function.get("name"), str):
                        names.add(function["name"])
                    if isinstance(call.get("name"), str):
                        names.add(call["name"])
            return names
        if output.get("type") in ("tool_use", "function_call") and isinstance(
            output.get("name"), str
        ):
            return {output["name"]}
        if "functionCall" in output and isinstance(output["functionCall"], dict):
            name = output["functionCall"].get("name")
            return {name} if isinstance(name, str) else names
        if "toolCall" in output and isinstance(output["toolCall"], dict):
            for call in output["toolCall"].get("functionCalls") or []:
                if isinstance(call, dict) and isinstance(call.get("name"), str):
                    names.add(call["name"])
        return names
    if isinstance(output, list):
        for block in output:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use" and isinstance(block.get("name"), str):
                names.add(block["name"])
            elif isinstance(block.get("functionCall"), dict):
                if isinstance(block["functionCall"].get("name"), str):
                    names.add(block["functionCall"]["name"])
            elif isinstance(block.get("function"), dict):
                if isinstance(block["function"].get("name"), str):
                    names.add(block["function"]["name"])
            elif isinstance(block.get("name"), str):
                names.add(block["name"])
    return names


def _json_blocks(text: str) -> list[Any]:
    # promptfoo scans balanced delimiters outside strings and code fences and keeps blocks that
    # start a line and end one; raw_decode from each line-leading '{' or '[' finds the same
    # blocks in ordinary model output.
    decoder = json.JSONDecoder()
    blocks: list[Any] = []
    for line_start, line in _line_starts(text):
        stripped = len(line) - len(line.lstrip(" \t"))
        start = line_start + stripped
        if start >= len(text) or text[start] not in "{[":
            continue
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            continue
        rest = text[end : text.find("\n", end) if "\n" in text[end:] else len(text)]
        if not rest.strip():
            blocks.append(value)
    return blocks


def _line_starts(text: str) -> list[tuple[int, str]]:
    starts, offset = [], 0
    for line in text.split("\n"):
        starts.append((offset, line))
        offset += len(line) + 1
    return starts


def check_tool_call_f1(check: Check) -> Outcome:
    """F1 of the set of tools called against the expected set, at least ``threshold``
    (default 1: exactly the expected tools). Order and repetitions do not count."""
    expected = set(expected_tools(check.assertion.value))
    if check.context.tool_calls is not None:
        actual = {call.name for call in check.context.tool_calls}
    else:
        actual = tool_names(check.output)
    common = len(expected & actual)
    precision = common / len(actual) if actual else 0.0
    recall = common / len(expected) if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    threshold = 1.0 if check.assertion.threshold is None else check.assertion.threshold
    passed = (f1 >= threshold) != check.inverse
    expected_list = ", ".join(sorted(expected))
    actual_list = ", ".join(sorted(actual)) or "(none)"
    if passed:
        reason = (
            f"Tool Call F1: {f1:.3f} (precision={precision:.3f}, recall={recall:.3f}). "
            f"Expected: [{expected_list}], Called: [{actual_list}]"
        )
    else:
        reason = (
            f"Tool Call F1 score {f1:.3f} is {'above' if check.inverse else 'below'} threshold "
            f"{js_number(threshold)}. Expected: [{expected_list}], Called: [{actual_list}]. "
            f"Precision={precision:.3f}, Recall={recall:.3f}"
        )
    # promptfoo scores the F1 itself, also for not-tool-call-f1.
    return Outcome(passed, f1, reason)


# --- validation ------------------------------------------------------------------------------


def validate_threshold_required(assertion: Assertion) -> None:
    """``latency`` (ms) and ``cost`` (USD) need a threshold."""
    if assertion.threshold is None:
        unit = "milliseconds" if assertion.type.endswith("latency") else "USD"
        raise AssertionValueError(f'"{assertion.type}" needs a threshold in {unit}')


def validate_finish_reason(assertion: Assertion) -> None:
    """A finish reason name, such as ``STOP`` or ``MAX_TOKENS``."""
    if not isinstance(assertion.value, str):
        raise AssertionValueError('"finish-reason" needs a string value')


def validate_tool_call_f1(assertion: Assertion) -> None:
    """A list of tool names or a comma-separated string, with at least one name."""
    value = assertion.value
    if not isinstance(value, str | list) or not expected_tools(value):
        raise AssertionValueError(
            '"tool-call-f1" needs a list of tool names or a comma-separated string'
        )
