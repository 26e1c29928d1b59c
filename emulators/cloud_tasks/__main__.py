"""Run the Cloud Tasks emulator: ``python -m emulators.cloud_tasks --host 127.0.0.1 --port N``.

Point Switchyard at it with ``SWITCHYARD_CLOUD_TASKS_EMULATOR_HOST=HOST:PORT``. Logs go to
stderr; SIGTERM or SIGINT stops it cleanly.

``--duplicate-dispatches N`` (default 1) injects a fault Cloud Tasks allows: every attempt of
every task is sent N times, and the first copy's response is the attempt's outcome
(:mod:`emulators.cloud_tasks.dispatcher`). ``--duplicate-dispatch-mode`` says how: one copy
after another (``sequential``, the default) or all at the same time (``concurrent``), as when
a task is retried while its first delivery still runs. Each copy is logged as
``task <name> copy <i>/<N>: HTTP <status>``.
"""

from __future__ import annotations

import argparse
import sys

from emulators.cloud_tasks.dispatcher import Dispatcher
from emulators.cloud_tasks.service import cloud_tasks_handler
from emulators.cloud_tasks.store import DEFAULT_DEDUP_WINDOW_S, TaskStore
from emulators.grpc_cli import parse_cli, serve_until_stopped

_NAME = "Cloud Tasks emulator"
#: How ``--duplicate-dispatches`` sends an attempt's copies.
DISPATCH_MODES = ("sequential", "concurrent")


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dedup-window",
        type=float,
        default=DEFAULT_DEDUP_WINDOW_S,
        help="seconds a deleted or executed task's name stays refused (default: %(default)s)",
    )
    parser.add_argument(
        "--workers", type=int, default=64, help="most attempts in flight across all queues"
    )
    parser.add_argument(
        "--duplicate-dispatches",
        type=_at_least_one,
        default=1,
        metavar="N",
        help="fault injection: send every attempt N times; the first copy's response counts "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--duplicate-dispatch-mode",
        choices=DISPATCH_MODES,
        default="sequential",
        help="send an attempt's copies one after another or at the same time "
        "(default: %(default)s)",
    )


def _at_least_one(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line (and set up logging, see :func:`emulators.grpc_cli.parse_cli`).

    Args:
        argv: Command-line arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        The options: ``host``, ``port``, ``log_level``, ``dedup_window`` (seconds),
        ``workers``, ``duplicate_dispatches`` and ``duplicate_dispatch_mode``.
    """
    return parse_cli(
        _NAME,
        argv,
        prog="python -m emulators.cloud_tasks",
        default_port=8123,
        add_arguments=_add_arguments,
    )


def main(argv: list[str] | None = None) -> int:
    """Serve and dispatch until SIGTERM or SIGINT.

    Args:
        argv: Command-line arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        The process exit status.
    """
    args = parse_args(argv)
    store = TaskStore(dedup_window_s=args.dedup_window)
    dispatcher = Dispatcher(
        store,
        workers=args.workers,
        copies=args.duplicate_dispatches,
        concurrent_copies=args.duplicate_dispatch_mode == "concurrent",
    )
    handler = cloud_tasks_handler(store, dispatcher)
    return serve_until_stopped(
        _NAME, [handler], args, on_start=dispatcher.start, on_stop=dispatcher.stop
    )


if __name__ == "__main__":
    sys.exit(main())
