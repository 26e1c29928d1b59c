"""Starting and stopping emulator processes so that none outlives the stack.

Every process starts in a session of its own (``setsid``), so the process group holds the whole
tree, including the Java emulators that gcloud's wrapper script starts and would otherwise
orphan. Stopping kills the group: SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def start_process(command: Sequence[str], env: Mapping[str, str], log_path: Path) -> int:
    """Start ``command`` in a new session with stdout and stderr appended to ``log_path``.

    Args:
        command: Program and arguments.
        env: The complete environment of the child.
        log_path: File that receives the child's output.

    Returns:
        The child's pid, which is also its process-group id.

    Raises:
        OSError: When the program cannot be started.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        child = subprocess.Popen(
            list(command),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return child.pid


def group_alive(pgid: int) -> bool:
    """True while any process of the group ``pgid`` is alive."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap(pid: int) -> None:
    # A child of this very process stays a zombie, and its group "alive", until waited for.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop_group(pgid: int, grace_s: float = 10.0) -> None:
    """Stop every process in the group ``pgid``: SIGTERM, then SIGKILL after ``grace_s`` seconds."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        _reap(pgid)
        if not group_alive(pgid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    _reap(pgid)


def kill_group(pgid: int, timeout_s: float = 10.0) -> None:
    """SIGKILL every process in the group ``pgid`` (a crash) and wait until none is left.

    Raises:
        TimeoutError: A process of the group is still alive after ``timeout_s`` seconds.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + timeout_s
    while group_alive(pgid):
        _reap(pgid)
        if time.monotonic() >= deadline:
            raise TimeoutError(f"process group {pgid} survived SIGKILL for {timeout_s:.0f} s")
        time.sleep(0.05)


def tcp_ready(host: str, port: int) -> bool:
    """True when a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def http_ready(url: str) -> bool:
    """True when ``url`` answers a GET with a status below 500."""
    try:
        return httpx.get(url, timeout=1.0).status_code < 500
    except httpx.HTTPError:
        return False


def wait_until(
    check: Callable[[], bool], timeout_s: float, alive: Callable[[], bool], what: str
) -> None:
    """Poll ``check`` every 0.2 s until it passes.

    Args:
        check: Readiness probe.
        timeout_s: Seconds before giving up.
        alive: Returns False once the process being waited for has died.
        what: Name used in the error message.

    Raises:
        TimeoutError: When ``check`` has not passed after ``timeout_s`` seconds.
        RuntimeError: When the process died before it was ready.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        if not alive():
            raise RuntimeError(f"{what} exited before it was ready")
        time.sleep(0.2)
    raise TimeoutError(f"{what} was not ready after {timeout_s:.0f} s")
