"""``python -m emulators.secret_manager --host H --port N``: serve Secret Manager locally."""

from __future__ import annotations

import sys

from emulators.grpc_cli import parse_cli, serve_until_stopped
from emulators.secret_manager.service import secret_manager_handler
from emulators.secret_manager.store import SecretStore

_NAME = "Secret Manager emulator"

if __name__ == "__main__":
    args = parse_cli(_NAME, prog="python -m emulators.secret_manager")
    sys.exit(serve_until_stopped(_NAME, [secret_manager_handler(SecretStore())], args))
