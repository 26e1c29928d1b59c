"""Command line of the local stack.

python -m emulators up [--state-dir .stack]     start it; prints `export` lines for a shell
python -m emulators up|run --duplicate-task-dispatches N [--concurrent-task-dispatches]
                                                ... with every Cloud Task attempt sent N times
                                                (at the same time with the second option)
python -m emulators env                         print the running stack's `export` lines
python -m emulators status                      is each emulator answering?
python -m emulators down                        stop it; no process is left behind
python -m emulators run -- COMMAND ...          start a private stack, run COMMAND in its
                                                environment, stop the stack (also on failure),
                                                and exit with COMMAND's exit code
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from emulators import stack


def _exports(env: Mapping[str, str]) -> str:
    return "\n".join(f"export {key}={shlex.quote(value)}" for key, value in sorted(env.items()))


def _raise_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _run(
    command: list[str], with_services: bool, task_dispatch_copies: int, concurrent: bool
) -> int:
    state_dir = Path(tempfile.mkdtemp(prefix="switchyard-stack-"))
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        print("starting the local stack ...", file=sys.stderr, flush=True)
        exports = stack.up(state_dir, os.environ, with_services, task_dispatch_copies, concurrent)
        print(f"local stack up (state in {state_dir})", file=sys.stderr, flush=True)
        return subprocess.call(command, env={**os.environ, **exports})
    finally:
        stack.down(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)
        print("local stack stopped", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the sub-command; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m emulators", description="Local GCP stack")
    parser.add_argument("--state-dir", type=Path, default=Path(".stack"))
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("down", "env", "status"):
        commands.add_parser(name)
    start = commands.add_parser("up")
    run = commands.add_parser("run")
    for sub in (start, run):
        sub.add_argument("--no-services", action="store_true", help="start the emulators only")
        sub.add_argument(
            "--duplicate-task-dispatches",
            type=int,
            default=1,
            metavar="N",
            help="fault injection: the Cloud Tasks emulator sends every attempt N times",
        )
        sub.add_argument(
            "--concurrent-task-dispatches",
            action="store_true",
            help="... and sends those copies at the same time, not one after another",
        )
    run.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    if args.command == "up":
        exports = stack.up(
            args.state_dir,
            os.environ,
            not args.no_services,
            args.duplicate_task_dispatches,
            args.concurrent_task_dispatches,
        )
        print(_exports(exports))
        return 0
    if args.command == "down":
        stopped = stack.down(args.state_dir)
        print(f"stopped: {', '.join(stopped) or 'nothing was running'}", file=sys.stderr)
        return 0
    if args.command == "env":
        state = stack.read_state(args.state_dir)
        if not state:
            print("no stack is running; start one with `python -m emulators up`", file=sys.stderr)
            return 1
        print(_exports(state["env"]))  # type: ignore[arg-type]
        return 0
    if args.command == "status":
        health = stack.status(args.state_dir)
        for name, ready in health.items():
            print(f"{name:16} {'ready' if ready else 'NOT ANSWERING'}")
        return 0 if health and all(health.values()) else 1
    command = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not command:
        parser.error("run needs a command: python -m emulators run -- pytest")
    return _run(
        command,
        not args.no_services,
        args.duplicate_task_dispatches,
        args.concurrent_task_dispatches,
    )


if __name__ == "__main__":
    sys.exit(main())
