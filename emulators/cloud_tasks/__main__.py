"""Run the Cloud Tasks emulator: ``python -m emulators.cloud_tasks --host 127.0.0.1 --port N``.

Point Switchyard at it with ``SWITCHYARD_CLOUD_TASKS_EMULATOR_HOST=HOST:PORT``. Logs go to
stderr; SIGTERM or SIGINT stops it cleanly.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from emulators.cloud_tasks.service import CloudTasksEmulator
from emulators.cloud_tasks.store import DEFAULT_DEDUP_WINDOW_S

logger = logging.getLogger("emulators.cloud_tasks")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.cloud_tasks", description="Local Cloud Tasks (v2) emulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument("--port", type=int, default=8123, help="gRPC port (0: any free port)")
    parser.add_argument(
        "--dedup-window",
        type=float,
        default=DEFAULT_DEDUP_WINDOW_S,
        help="seconds a deleted or executed task's name stays refused (default: %(default)s)",
    )
    parser.add_argument(
        "--workers", type=int, default=64, help="most attempts in flight across all queues"
    )
    parser.add_argument("--log-level", default="INFO", help="Python logging level")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT.

    Args:
        argv: Command-line arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        The process exit status.
    """
    args = _arguments(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The emulator logs every attempt's outcome itself; httpx would repeat each at INFO.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    emulator = CloudTasksEmulator(dedup_window_s=args.dedup_window, workers=args.workers)
    port = emulator.start(args.host, args.port)
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    logger.info("Cloud Tasks emulator listening on %s:%d", args.host, port)
    stopped.wait()
    logger.info("stopping")
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
