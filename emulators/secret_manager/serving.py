"""What every Switchyard gRPC emulator needs around its service: list pagination and a CLI.

Both ``emulators.secret_manager`` and ``emulators.scheduler`` use these; they sit beside
``emulators/grpc_service.py`` in spirit and can move there unchanged.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

import grpc

from emulators.grpc_service import RpcError, start_server

logger = logging.getLogger(__name__)

T = TypeVar("T")


def paginate(
    items: Sequence[T], page_size: int, page_token: str, max_page_size: int
) -> tuple[list[T], str]:
    """One page of ``items`` and the token of the next, as Google's List methods answer.

    The token is the offset of the next page, so a listing that changes between two calls can
    repeat or skip an item; Google's tokens are opaque and callers must not rely on either.

    Args:
        items: The whole listing in its documented order.
        page_size: Requested page size; 0 lets the server choose (``max_page_size``).
        page_token: ``""`` for the first page, else a ``next_page_token`` from this function.
        max_page_size: Largest page the service returns.

    Returns:
        ``(page, next_page_token)``; the token is ``""`` on the last page.

    Raises:
        RpcError: INVALID_ARGUMENT for a negative page size or a token this function did not
            make.
    """
    if page_size < 0:
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "page_size must not be negative")
    if page_token and not page_token.isdigit():
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"invalid page_token {page_token!r}")
    start = int(page_token or 0)
    end = start + min(page_size or max_page_size, max_page_size)
    return list(items[start:end]), str(end) if end < len(items) else ""


def parse_cli(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse an emulator's ``--host``, ``--port`` and ``--log-level`` and set up logging.

    Logs go to stderr, leaving stdout to the launcher.

    Args:
        description: One line for ``--help``, such as ``"Secret Manager emulator"``.
        argv: Command-line arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        The parsed ``host`` (str), ``port`` (int, 0 for any free port) and ``log_level``.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one")
    parser.add_argument("--log-level", default="INFO", help="Python logging level name")
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return args


def serve_until_stopped(
    description: str,
    handlers: Sequence[grpc.GenericRpcHandler],
    args: argparse.Namespace,
    on_stop: Callable[[], None] | None = None,
) -> int:
    """Serve ``handlers`` on ``args.host:args.port`` until SIGTERM or SIGINT, then stop cleanly.

    The bound address is logged once the server listens.

    Args:
        description: Name for the log lines, such as ``"Secret Manager emulator"``.
        handlers: Generic gRPC handlers, one per service.
        args: The result of :func:`parse_cli`.
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
    logger.info("%s listening on %s:%d", description, args.host, port)
    stopping.wait()
    logger.info("%s stopping", description)
    server.stop(grace=1).wait()
    if on_stop is not None:
        on_stop()
    return 0
