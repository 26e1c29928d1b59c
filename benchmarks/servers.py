"""Starting one of Switchyard's services, or its bare "hello" twin, fresh and on its own.

The command lines come from :func:`emulators.services.services`, so a service starts exactly as
the local stack starts it (same server, workers, threads, environment); the twin is the same
command with only the application swapped for :mod:`benchmarks.hello`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from emulators import processes, services
from emulators.stack import HOST, service_ports

HELLO_SOURCE = Path(__file__).resolve().parent / "hello.py"
HELLO_APP = "benchmarks.hello:app"
HELLO_FUNCTION = "hello_event"
START_TIMEOUT_S = 90.0
POLL_S = 0.02


@dataclass(frozen=True)
class Started:
    """A process started by :func:`started`.

    Attributes:
        url: Its base URL.
        cold_start_s: Seconds from process start to its first answer (any status below 500).
    """

    url: str
    cold_start_s: float


def command_of(name: str, port: int) -> tuple[list[str], str]:
    """The local stack's command line of service ``name`` on ``port``, and its probe path.

    Functions answer ``GET /`` with 405 once functions-framework has loaded their code; the API
    and the executor answer ``GET /healthz``.

    Raises:
        KeyError: When ``name`` is not a service of the stack.
    """
    ports = {**service_ports(), name: port}
    for service, _port in services.services(HOST, ports):
        if service.name == name:
            return service.command, service.health_path or "/"
    raise KeyError(name)


def hello_twin(command: list[str]) -> list[str]:
    """``command`` serving :mod:`benchmarks.hello` instead of its own application.

    Raises:
        ValueError: When the command names neither a gunicorn app nor a function target.
    """
    if "--target" in command:
        twin = list(command)
        twin[twin.index("--target") + 1] = HELLO_FUNCTION
        twin[twin.index("--source") + 1] = str(HELLO_SOURCE)
        return twin
    apps = [index for index, arg in enumerate(command) if arg.endswith(":app")]
    if len(apps) != 1:
        raise ValueError(f"no single gunicorn app in {command}")
    return [HELLO_APP if index == apps[0] else arg for index, arg in enumerate(command)]


def _first_answer(url: str, pgid: int, began: float) -> float:
    # processes.wait_until polls every 0.2 s, too coarse for a start of a second or two.
    while time.monotonic() - began < START_TIMEOUT_S:
        if processes.http_ready(url):
            return time.monotonic()
        if not processes.group_alive(pgid):
            raise RuntimeError(f"{url}: the process exited before it answered")
        time.sleep(POLL_S)
    raise TimeoutError(f"{url} did not answer within {START_TIMEOUT_S:.0f} s")


@contextmanager
def started(name: str, hello: bool, log_dir: Path) -> Iterator[Started]:
    """Start service ``name`` (or its hello twin) on a free port; stop its group on exit.

    Args:
        name: ``api``, ``executor`` or a function name.
        hello: Start the bare twin instead of the service.
        log_dir: Directory for the process's output.

    Raises:
        TimeoutError: When it does not answer within :data:`START_TIMEOUT_S`.
        RuntimeError: When it exits before answering.
    """
    port = processes.free_port()
    command, probe = command_of(name, port)
    if hello:
        command, probe = hello_twin(command), "/"
    env = {**os.environ, "SWITCHYARD_EGRESS_ALLOWED_NETWORKS": services.LOCAL_EGRESS}
    url = f"http://{HOST}:{port}"
    began = time.monotonic()
    pgid = processes.start_process(command, env, log_dir / f"{name}{'-hello' if hello else ''}.log")
    try:
        yield Started(url, _first_answer(url + probe, pgid, began) - began)
    finally:
        processes.stop_group(pgid)
