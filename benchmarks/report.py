"""The benchmark table: figures, each a ratio against a baseline measured in the same run.

Printed with rich, and written as JSON and Markdown (``build/bench/bench.json``, ``bench.md``)
so it can be pasted into a note.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

LOG_WIDTH = 160
COLUMNS = ("Section", "Figure", "Value", "Baseline", "Baseline value", "Ratio")


@dataclass(frozen=True)
class Figure:
    """One line of the table.

    Attributes:
        section: Which figure of the suite, such as ``API`` or ``Cold start``.
        name: What was measured.
        value: The measurement, in ``unit``.
        unit: ``req/s``, ``ms``, ``runs/s``, ``µs``, ``share``...
        baseline: What the value is divided by, measured in the same run.
        baseline_value: The baseline's measurement, in the same unit as ``value``.
    """

    section: str
    name: str
    value: float
    unit: str
    baseline: str
    baseline_value: float

    @property
    def ratio(self) -> float:
        """``value ÷ baseline_value`` (infinite when the baseline is 0)."""
        return self.value / self.baseline_value if self.baseline_value else float("inf")


def number(value: float, whole: bool = True) -> str:
    """``value`` with as many decimals as its size deserves: 1,234, 123.4, 12.34, 0.123, and
    7 for a whole number unless ``whole`` is False (ratios keep their decimals: 1.00)."""
    if abs(value) >= 1000 or (whole and float(value).is_integer()):
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def cells(figure: Figure) -> tuple[str, ...]:
    """The table cells of ``figure``, in the order of :data:`COLUMNS`."""
    return (
        figure.section,
        figure.name,
        f"{number(figure.value)} {figure.unit}",
        figure.baseline,
        f"{number(figure.baseline_value)} {figure.unit}",
        number(figure.ratio, whole=False),
    )


def markdown(figures: Sequence[Figure]) -> str:
    """The table as GitHub-flavoured Markdown."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells(f)) + " |" for f in figures]
    return "\n".join(lines) + "\n"


def render(figures: Sequence[Figure], title: str) -> Table:
    """The table as a rich :class:`~rich.table.Table`."""
    table = Table(title=title)
    for column in COLUMNS:
        table.add_column(
            column, justify="right" if "alue" in column or column == "Ratio" else "left"
        )
    for figure in figures:
        table.add_row(*cells(figure))
    return table


def write(figures: Sequence[Figure], out_dir: Path, context: dict[str, Any]) -> list[Path]:
    """Write ``bench.json`` (figures with their ratios, and ``context``) and ``bench.md``.

    Returns:
        The paths written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = [{**asdict(f), "ratio": f.ratio} for f in figures]
    json_path, md_path = out_dir / "bench.json", out_dir / "bench.md"
    json_path.write_text(json.dumps({"context": context, "figures": rows}, indent=2) + "\n")
    md_path.write_text(markdown(figures))
    return [json_path, md_path]


def show(figures: Sequence[Figure], title: str) -> None:
    """Print the table to the terminal (160 columns wide when the output is not a terminal)."""
    Console(width=None if sys.stdout.isatty() else LOG_WIDTH).print(render(figures, title))
