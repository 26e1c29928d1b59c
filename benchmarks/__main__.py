"""``python -m benchmarks``: every figure of the suite, printed as one table and written to disk.

Run inside the local stack: ``python -m emulators run -- python -m benchmarks`` (``make bench``).
Every figure is a ratio against a baseline measured in the same run, because the machine is
noisy (see each module). ``--quick`` scales every count down for a smoke run; ``--only`` picks
sections (``evals`` needs no stack).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import api, cold_start, evals, local_stack, pipeline, stages
from benchmarks.report import Figure, show, write
from shared.composition import build_dependencies
from shared.settings import Settings

SECTIONS = ("evals", "rates", "e2e", "burst", "cold", "api")
FULL = {"runs": 30, "burst": 200, "rate_seconds": 6.0, "cold_repeats": 3, "api_seconds": 5.0,
        "api_rounds": 2, "api_clients": 8, "push_samples": 50}  # fmt: skip
QUICK = {"runs": 8, "burst": 40, "rate_seconds": 2.0, "cold_repeats": 1, "api_seconds": 2.0,
         "api_rounds": 1, "api_clients": 4, "push_samples": 15}  # fmt: skip
BURST_TIMEOUT_S = 300.0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma list of {SECTIONS}")
    parser.add_argument("--out", type=Path, default=Path("build/bench"), help="output directory")
    for name, default in FULL.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=None,
                            help=f"default {default} ({QUICK[name]} with --quick)")  # fmt: skip
    args = parser.parse_args(argv)
    for name in FULL:
        if getattr(args, name) is None:
            setattr(args, name, (QUICK if args.quick else FULL)[name])
    args.only = [section.strip() for section in args.only.split(",")]
    if unknown := set(args.only) - set(SECTIONS):
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    return args


def on_stack(args: argparse.Namespace, settings: Settings, api_url: str) -> list[Figure]:
    """The selected figures that need the stack, in the order of :data:`SECTIONS` (the API
    last: the runs it makes are still being refused at pre-flight when it ends)."""
    figures: list[Figure] = []
    deps = build_dependencies(settings)
    if "rates" in args.only:
        figures += local_stack.rate_figures(settings, args.rate_seconds)
    if {"e2e", "burst"} & set(args.only):
        with pipeline.one_tool_agent(deps, api_url, str(settings.vertex_base_url)) as bench:
            if "e2e" in args.only:
                latencies = pipeline.trigger_to_delivered(bench, args.runs)
                durations = list(latencies.values())
                figures += pipeline.e2e_figures(settings, durations, args.push_samples)
                figures += stages.figures(deps, latencies)
            if "burst" in args.only:
                figures.append(pipeline.burst_figure(bench, args.burst, BURST_TIMEOUT_S))
    if "cold" in args.only:
        figures += cold_start.figures(args.cold_repeats, args.out / "logs")
    if "api" in args.only:
        figures += api.figures(
            deps, api_url, args.api_clients, args.api_seconds, args.api_rounds, args.out / "logs"
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, write ``bench.json`` and ``bench.md``; returns the exit code."""
    args = _arguments(argv)
    settings = Settings()
    if set(args.only) - {"evals"} and not (settings.api_url and settings.vertex_base_url):
        print("run inside the local stack with its services: make bench", file=sys.stderr)
        return 2
    began, load_before = time.monotonic(), os.getloadavg()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    figures = evals.figures() if "evals" in args.only else []
    if set(args.only) - {"evals"}:
        figures += on_stack(args, settings, settings.api_url or "")
    context = {
        "started_at": started_at,
        "seconds": round(time.monotonic() - began, 1),
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "arguments": {name: getattr(args, name) for name in FULL} | {"only": args.only},
    }
    title = f"Switchyard benchmarks, {started_at}, {context['seconds']} s, {os.cpu_count()} CPUs"
    show(figures, title)
    for path in write(figures, args.out, context):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
