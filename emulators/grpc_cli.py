"""The command line every Switchyard gRPC emulator shares: parse, serve, stop on SIGTERM.

``python -m emulators.<name> --host H --port N [--log-level L]`` plus each emulator's own
options; the local stack (``emulators/stack.py``) starts them this way and stops them with
SIGTERM. Logs go to stderr, leaving stdout to the launcher.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence

import grpc

from emulators.grpc_service import start_server

logger = logging.getLogger(__name__)


def parse_cli(
    name: str,
    argv: Sequence[str] | None = None,
    *,
    prog: str | None = None,
    default_port: int = 0,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """Parse an emulator's ``--host``, ``--port``, ``--log-level`` and own options; set up logging.

    Args:
        name: The emulator, for ``--help``, such as ``"Secret Manager emulator"``.
        argv: Command-line arguments without the program name; ``sys.argv[1:]`` when None.
        prog: How ``--help`` names the program, such as ``"python -m emulators.scheduler"``.
        default_port: ``--port`` when not given; 0 picks a free port.
        add_arguments: Adds the emulator's own options to the parser.

    Returns:
        The parsed ``host`` (str), ``port`` (int), ``log_level`` and the emulator's options.
    """
    parser = argparse.ArgumentParser(prog=prog, description=name)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument(
        "--port", type=int, default=default_port, help="gRPC port; 0 picks a free one"
    )
    parser.add_argument("--log-level", default="INFO", help="Python logging level name")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Emulators that send HTTP log every attempt's outcome themselves; httpx would repeat each.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    return args


def serve_until_stopped(
    name: str,
    handlers: Sequence[grpc.GenericRpcHandler],
    args: argparse.Namespace,
    on_start: Callable[[], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> int:
    """Serve ``handlers`` on ``args.host:args.port`` until SIGTERM or SIGINT, then stop cleanly.

    The bound address is logged once the server listens.

    Args:
        name: The emulator, for the log lines, such as ``"Secret Manager emulator"``.
        handlers: Generic gRPC handlers, one per service.
        args: The result of :func:`parse_cli`.
        on_start: Called once the server listens, to start background work (dispatchers).
        on_stop: Called after the server stopped taking RPCs, to stop background work.

    Returns:
        The process exit status, 0.

    Raises:
        RuntimeError: When the port cannot be bound.
    """
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    server, port = start_server(list(handlers), args.host, args.port)
    if on_start is not None:
        on_start()
    logger.info("%s listening on %s:%d", name, args.host, port)
    stopping.wait()
    logger.info("%s stopping", name)
    server.stop(grace=1).wait()
    if on_stop is not None:
        on_stop()
    return 0
