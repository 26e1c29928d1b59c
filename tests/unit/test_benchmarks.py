"""The benchmark suite's pure parts: statistics, the table, stage shares, the hello twins.

Nothing here is timed; the figures themselves come from ``make bench``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from benchmarks.__main__ import _arguments
from benchmarks.report import Figure, markdown, number, render, write
from benchmarks.servers import HELLO_APP, HELLO_FUNCTION, HELLO_SOURCE, hello_twin
from benchmarks.stages import overhead_figures, stage_seconds
from benchmarks.stats import largest_burst, percentile, steady_rate
from emulators import services


def _token_bucket_arrivals(rate: float, burst: int, count: int, jitter: float) -> list[float]:
    # The burst is dispatched over ``jitter`` seconds, then one task every 1 / rate seconds.
    head = [index * jitter / burst for index in range(burst)]
    return head + [(index + 1) / rate for index in range(count - burst)]


def test_percentile_is_the_nearest_rank() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 0.5) == 3.0
    assert percentile(values, 0.0) == 1.0
    assert percentile(values, 1.0) == 5.0
    assert percentile(list(range(1, 101)), 0.95) == 95


@pytest.mark.parametrize(("values", "share"), [([], 0.5), ([1.0], 1.5), ([1.0], -0.1)])
def test_percentile_refuses_what_has_no_quantile(values: list[float], share: float) -> None:
    with pytest.raises(ValueError):
        percentile(values, share)


def test_a_token_bucket_shows_its_burst_and_its_rate() -> None:
    arrivals = _token_bucket_arrivals(rate=10.0, burst=10, count=70, jitter=0.05)
    assert largest_burst(arrivals, 10.0) == 10
    assert steady_rate(arrivals, 10) == pytest.approx(10.0)


def test_a_queue_without_a_burst_shows_one_and_a_fast_queue_its_real_rate() -> None:
    even = [index / 2.0 for index in range(10)]
    assert largest_burst(even, 2.0) == 1
    assert steady_rate(even, 1) == pytest.approx(2.0)
    assert steady_rate(even, 1) / 1.0 == pytest.approx(2.0)  # observed ÷ a configured 1/s


def test_too_few_arrivals_have_no_rate() -> None:
    with pytest.raises(ValueError):
        steady_rate([0.0, 0.0, 0.0], 3)
    with pytest.raises(ValueError):
        largest_burst([], 1.0)


def test_a_figure_is_a_ratio_and_prints_with_its_unit() -> None:
    figure = Figure("API", "create run", 50.0, "req/s", "hello", 1000.0)
    assert figure.ratio == pytest.approx(0.05)
    assert Figure("x", "y", 1.0, "ms", "zero", 0.0).ratio == float("inf")
    assert [number(v) for v in (12345.6, 123.45, 12.345, 0.12345, 7.0)] == [
        "12,346", "123.5", "12.35", "0.123", "7",
    ]  # fmt: skip
    assert number(1.0, whole=False) == "1.00"


def test_the_table_renders_as_rich_and_markdown(tmp_path: Path) -> None:
    figures = [
        Figure("API", "create run", 50.5, "req/s", "hello", 1010.0),
        Figure("Evals", "a | b", 2.0, "µs", "json.loads", 4.0),
    ]
    assert render(figures, "title").row_count == 2
    lines = markdown(figures).splitlines()
    assert lines[0] == "| Section | Figure | Value | Baseline | Baseline value | Ratio |"
    assert lines[2] == "| API | create run | 50.50 req/s | hello | 1,010 req/s | 0.050 |"
    assert "a \\| b" in lines[3] and lines[3].count(" | ") == 5
    json_path, md_path = write(figures, tmp_path / "out", {"cpus": 2})
    written = json.loads(json_path.read_text())
    assert written["context"] == {"cpus": 2}
    assert [row["ratio"] for row in written["figures"]] == [0.05, 0.5]
    assert md_path.read_text() == markdown(figures)


def test_stage_shares_come_from_the_event_times() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    times = {"run.requested": 0.0, "run.approved": 0.2, "run.running": 0.3,
             "run.generated": 1.5, "run.passed": 1.8, "run.delivered": 2.0}  # fmt: skip
    events = {kind: start + timedelta(seconds=s) for kind, s in times.items()}
    seconds = stage_seconds(events)
    assert seconds == pytest.approx({"pre-flight": 0.2, "post-gen": 0.3, "end_to_end": 2.0})
    twice = overhead_figures([seconds, {"pre-flight": 0.4, "post-gen": 0.1, "end_to_end": 1.0}])
    assert [(f.value, f.baseline_value) for f in twice] == [
        pytest.approx((300.0, 1500.0)), pytest.approx((200.0, 1500.0)),
    ]  # fmt: skip
    with pytest.raises(KeyError):
        stage_seconds({"run.requested": start})


def test_the_hello_twins_keep_the_stack_s_command_lines_but_the_target() -> None:
    ports = {name: 8000 + i for i, name in enumerate(("api", "executor", *services.FUNCTIONS))}
    commands = {service.name: service.command for service, _ in services.services("h", ports)}
    api_twin = hello_twin(commands["api"])
    assert [a for a, b in zip(api_twin, commands["api"], strict=True) if a != b] == [HELLO_APP]
    function_twin = hello_twin(commands["preflight"])
    changed = [a for a, b in zip(function_twin, commands["preflight"], strict=True) if a != b]
    assert changed == [HELLO_FUNCTION, str(HELLO_SOURCE)]
    with pytest.raises(ValueError):
        hello_twin(["python", "-m", "something"])


def test_quick_scales_every_count_down_and_only_names_sections() -> None:
    full, quick = _arguments([]), _arguments(["--quick", "--burst", "3"])
    assert full.burst == 200 and full.runs == 30
    assert quick.burst == 3 and quick.runs < full.runs and quick.cold_repeats == 1
    with pytest.raises(SystemExit):
        _arguments(["--only", "evals,nope"])
