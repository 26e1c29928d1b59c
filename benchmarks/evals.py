"""Benchmark of the eval engine, in process (no stack needed).

Part of ``python -m benchmarks`` (``--only evals`` needs no stack). Measured in one run: the
time to evaluate a 10-assertion programmatic list on a 4 KB JSON output, and that time divided
by the time of one ``json.loads`` of the same output (the unit of "how much work is it to look
at this output once"). A second line adds ``not-contains-pii`` and ``not-contains-secret``, the
safety checks most agents carry.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from benchmarks.report import Figure
from shared.domain.spec import EvalSpec
from shared.evals.gate import evaluate

OUTPUT_BYTES = 4096
PROGRAMMATIC: list[dict[str, Any]] = [
    {
        "type": "is-json",
        "value": {
            "type": "object",
            "required": ["competitor", "prices"],
            "properties": {"prices": {"type": "array", "items": {"type": "object"}}},
        },
    },
    {"type": "contains", "value": "EUR"},
    {"type": "icontains", "value": "competitor1.com"},
    {"type": "contains-any", "value": "EUR, USD, GBP"},
    {"type": "icontains-all", "value": ["sku", "price", "currency"]},
    {"type": "not-icontains", "value": "as an AI"},
    {"type": "regex", "value": r"\"price\": \d+\.\d{2}"},
    {"type": "starts-with", "value": "{"},
    {"type": "word-count", "value": {"min": 50, "max": 2000}},
    {"type": "not-is-refusal"},
]
SAFETY: list[dict[str, Any]] = [{"type": "not-contains-pii"}, {"type": "not-contains-secret"}]


def sample_output(size: int = OUTPUT_BYTES) -> str:
    """A price report as an agent writes it, padded to exactly ``size`` bytes."""
    prices = []
    index = 0
    while True:
        prices.append(
            {"sku": f"SKU-{index:05d}", "name": f"Widget model {index}", "price": 19.99 + index,
             "currency": "EUR", "source": f"https://competitor1.com/p/{index}"}
        )  # fmt: skip
        text = json.dumps({"competitor": "competitor1.com", "prices": prices}, indent=1)
        if len(text.encode()) > size:
            prices.pop()
            break
        index += 1
    report = {"competitor": "competitor1.com", "prices": prices, "note": ""}
    base = len(json.dumps(report, indent=1).encode())
    report["note"] = "x" * (size - base)
    text = json.dumps(report, indent=1)
    assert len(text.encode()) == size
    return text


def _median_seconds(action: Callable[[], object], repeat: int, number: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            action()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def figures() -> list[Figure]:
    """Evaluating each assertion list on the sample output ÷ one ``json.loads`` of it, in µs.

    Raises:
        AssertionError: When the sample output fails the assertions (the benchmark is broken).
    """
    output = sample_output()
    loads = _median_seconds(lambda: json.loads(output), repeat=15, number=2000)
    rows = []
    for label, assertions in (
        ("10 programmatic assertions", PROGRAMMATIC),
        ("10 programmatic + not-contains-pii, not-contains-secret", PROGRAMMATIC + SAFETY),
    ):
        spec = EvalSpec.model_validate({"name": "bench", "assert": assertions})
        verdict = evaluate(spec, output)
        assert verdict.passed, verdict.reason
        seconds = _median_seconds(partial(evaluate, spec, output), repeat=15, number=50)
        rows.append(
            Figure("Evals (in process)", f"{label} on {OUTPUT_BYTES} B", seconds * 1e6, "µs",
                   "one json.loads of the output", loads * 1e6)
        )  # fmt: skip
    return rows
