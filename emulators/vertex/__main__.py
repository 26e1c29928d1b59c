"""Run the Gemini emulator: ``python -m emulators.vertex --host 127.0.0.1 --port 8089``.

Clients reach it through ``SWITCHYARD_VERTEX_BASE_URL=http://127.0.0.1:8089``. ``--scripts DIR``
registers every script file of DIR at start; more can be registered over the admin API. Logs go
to stderr. SIGTERM or SIGINT stops the server cleanly.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from werkzeug.serving import make_server

from emulators.vertex.app import create_app
from emulators.vertex.registry import ScriptRegistry
from emulators.vertex.script import load_scripts

logger = logging.getLogger("emulators.vertex")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m emulators.vertex", description="Scripted Vertex AI Gemini emulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument("--port", type=int, default=8089, help="TCP port; 0 picks a free one")
    parser.add_argument("--scripts", type=Path, help="folder of *.yaml/*.yml/*.json scripts")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until SIGTERM or SIGINT.

    Args:
        argv: Command-line arguments without the program name; None reads ``sys.argv``.

    Raises:
        SystemExit: On invalid arguments or scripts (status 2) or an unusable port (status 1).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # Installed first, so a stop requested while scripts load is not lost.
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    registry = ScriptRegistry()
    if args.scripts is not None:
        try:
            scripts = load_scripts(args.scripts)
        except (NotADirectoryError, ValueError) as error:
            parser.error(str(error))
        for script in scripts:
            registry.put(script)
            logger.info("registered script %r from %s", script.name, args.scripts)
    try:
        server = make_server(args.host, args.port, create_app(registry), threaded=True)
    except OSError as error:
        raise SystemExit(f"cannot listen on {args.host}:{args.port}: {error}") from error

    # serve_forever runs in a thread because shutdown() blocks until it returns, which a
    # signal handler on the serving thread would wait for forever.
    serving = threading.Thread(target=server.serve_forever, name="vertex-emulator")
    serving.start()
    logger.info("Gemini emulator serving on http://%s:%d", args.host, server.server_port)
    stop.wait()
    logger.info("stopping")
    server.shutdown()
    serving.join()
    server.server_close()


if __name__ == "__main__":
    main()
