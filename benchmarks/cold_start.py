"""Cold start: process start to first answer for the API, the executor and each function.

Each service starts fresh, alone, with the command line and environment the local stack uses
(:mod:`benchmarks.servers`), and is timed until it answers its probe; the baseline is the same
server serving a bare "hello" (gunicorn for the API and the executor, functions-framework for
the functions), started the same way in the same run. The fastest of ``repeats`` starts is
kept, as ``timeit`` does: on a shared machine other load only ever adds time.
Dependencies are built on the first real request, not on import, so neither side includes them.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.report import Figure
from benchmarks.servers import started
from emulators.services import FUNCTIONS

SECTION = "Cold start"
SERVICES = ("api", "executor", *FUNCTIONS)


def cold_start_s(name: str, hello: bool, repeats: int, log_dir: Path) -> float:
    """Fewest seconds from process start to first answer of service ``name`` (or its twin).

    Raises:
        TimeoutError, RuntimeError: From :func:`benchmarks.servers.started`.
    """
    samples = []
    for _ in range(repeats):
        with started(name, hello, log_dir) as process:
            samples.append(process.cold_start_s)
    return min(samples)


def figures(repeats: int, log_dir: Path) -> list[Figure]:
    """A figure per service: its cold start ÷ the hello twin's on the same server, in ms."""
    baselines: dict[str, float] = {}
    rows = []
    for name in SERVICES:
        server = "functions-framework" if name in FUNCTIONS else "gunicorn"
        if server not in baselines:
            baselines[server] = cold_start_s(name, True, repeats, log_dir) * 1000
        value = cold_start_s(name, False, repeats, log_dir) * 1000
        rows.append(
            Figure(SECTION, f"{name}: start to first answer", value, "ms",
                   f"hello on {server}", baselines[server])
        )  # fmt: skip
    return rows
