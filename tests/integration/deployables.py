"""Helpers for running Switchyard's deployables as Google Cloud runs them, without Docker.

- :func:`clean_virtualenv`: a virtualenv holding only a ``requirements.txt`` (no editable
  install of this repository, no dev tools), the way Cloud Functions' build and the Dockerfiles'
  ``pip install -r requirements.txt`` make theirs. It is kept under ``build/test-venvs/<hash of
  the requirements>``, so a second run with the same pins reuses it (those of older pins are
  removed when a new one is made).
- :func:`started`: a process in its own session, stopped with its whole group afterwards.
- :func:`deployed_env`: the local stack's environment without anything that would let a
  deployable see this checkout's packages.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from emulators import processes

ROOT = Path(__file__).resolve().parents[2]
VENVS = ROOT / "build" / "test-venvs"
INSTALL_TIMEOUT_S = 600


def clean_virtualenv(requirements: Path) -> Path:
    """The folder of a virtualenv with exactly ``requirements`` installed.

    Raises:
        subprocess.CalledProcessError: pip failed (its output is in the error).
    """
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    target = VENVS / digest
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)  # an install that was interrupted
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        # The base interpreter, not this virtualenv's: nothing of the project's venv leaks in.
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(target)], check=True, capture_output=True)
        subprocess.run(
            [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", "-r", str(requirements)],
            check=True, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S,
        )  # fmt: skip
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    (target / ".complete").touch()
    for stale in VENVS.iterdir():  # those of earlier pins
        if stale != target:
            shutil.rmtree(stale, ignore_errors=True)
    return target


def deployed_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment (the local stack's) minus what points at this checkout."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP"}
    }
    return {**env, **(extra or {})}


@contextlib.contextmanager
def started(
    command: Sequence[str], cwd: Path, env: Mapping[str, str], log: Path, ready: str
) -> Iterator[int]:
    """Run ``command`` in ``cwd`` until the block ends; waits until ``ready`` (a URL) answers.

    Yields:
        The process group id.

    Raises:
        RuntimeError: The process exited before it was ready (its log is in the message).
        TimeoutError: It was not ready within 60 s.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        child = subprocess.Popen(
            list(command), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        try:
            processes.wait_until(
                lambda: processes.http_ready(ready),
                60,
                alive=lambda: child.poll() is None,
                what=" ".join(command),
            )
        except (RuntimeError, TimeoutError) as error:
            raise type(error)(f"{error}\n--- log ---\n{log.read_text()[-3000:]}") from None
        yield child.pid
    finally:
        processes.stop_group(child.pid, grace_s=5)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)
