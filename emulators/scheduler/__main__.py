"""``python -m emulators.scheduler --host 127.0.0.1 --port N``: serve Cloud Scheduler locally.

Pub/Sub targets publish to the emulator named by ``PUBSUB_EMULATOR_HOST``; without it they fail
rather than reach Google Cloud.
"""

from __future__ import annotations

import logging
import sys

import httpx
from google.cloud.pubsub_v1 import PublisherClient

from emulators.grpc_cli import parse_cli, serve_until_stopped
from emulators.scheduler.jobs import JobStore
from emulators.scheduler.runner import JobRunner
from emulators.scheduler.service import scheduler_handler
from emulators.scheduler.targets import TargetDispatcher
from shared.settings import get_settings

_NAME = "Cloud Scheduler emulator"


def main() -> int:
    """Serve the emulator and fire its jobs until SIGTERM or SIGINT.

    Returns:
        The process exit status.
    """
    args = parse_cli(_NAME, prog="python -m emulators.scheduler")
    publisher = None
    if get_settings().pubsub_emulator_host:
        publisher = PublisherClient()  # finds the emulator through the same variable
    else:
        logging.getLogger(__name__).warning("PUBSUB_EMULATOR_HOST is unset: Pub/Sub targets fail")
    http = httpx.Client(follow_redirects=True)
    store = JobStore()
    runner = JobRunner(store, TargetDispatcher(publisher, http))

    def stop() -> None:
        runner.stop()
        http.close()  # ends HTTP attempts still in flight, so the process exits promptly

    runner.start()
    return serve_until_stopped(_NAME, [scheduler_handler(store)], args, on_stop=stop)


if __name__ == "__main__":
    sys.exit(main())
