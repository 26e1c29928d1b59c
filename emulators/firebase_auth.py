"""The Firebase Authentication emulator, from firebase-tools (npm), for the local stack.

``make install`` puts a pinned firebase-tools in ``build/firebase-tools``
(:data:`FIREBASE_TOOLS_VERSION`). The stack starts it with only the auth emulator and the
stack's ``demo-`` project, which needs no login and reaches no Google service. Each stack gets
a private working directory: a generated ``firebase.json`` (the auth port, and free ports for
the emulator hub and logging, so that stacks started side by side do not collide; no UI), and
``HOME``/``TMPDIR`` inside it, so the CLI's config store (no login, no usage reporting) and the
hub's locator file (``$TMPDIR/hub-<project>.json``) are the stack's own. ``CI`` and
``NO_UPDATE_NOTIFIER`` switch off the two network calls the CLI makes on start (the message of
the day and the npm update check); ``FIREBASE_DEBUG_PATH`` keeps its debug log out of the
working tree.

The emulator serves Identity Toolkit's REST API under
``http://<host>/identitytoolkit.googleapis.com/v1/`` and Secure Token's under
``http://<host>/securetoken.googleapis.com/v1/``; firebase-admin and the CLI's ``login`` find it
through ``FIREBASE_AUTH_EMULATOR_HOST``.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from emulators import processes

FIREBASE_TOOLS_VERSION = "15.34.2"  # the Makefile's FIREBASE_TOOLS_VERSION
ROOT = Path(__file__).resolve().parents[1]
FIREBASE_BIN = ROOT / "build" / "firebase-tools" / "node_modules" / ".bin" / "firebase"


def command(host: str, port: int, project_id: str, work_dir: Path) -> list[str]:
    """Write the emulator's ``firebase.json`` into ``work_dir`` and give the command to start it.

    Args:
        host: Address to listen on.
        port: The auth emulator's port.
        project_id: A ``demo-`` project id.
        work_dir: The stack's private directory for the emulator (created).

    Returns:
        ``env`` with the emulator's variables, then the firebase CLI and its arguments (``env``
        replaces itself with the CLI, so the process group is the emulator's).

    Raises:
        RuntimeError: firebase-tools is not installed (run ``make install``).
    """
    if not FIREBASE_BIN.exists():
        raise RuntimeError(f"{FIREBASE_BIN} is missing: run `make install`")
    home, tmp = work_dir / "home", work_dir / "tmp"
    for folder in (home, tmp):
        folder.mkdir(parents=True, exist_ok=True)
    config = {
        "emulators": {
            "auth": {"host": host, "port": port},
            "hub": {"host": host, "port": processes.free_port(host)},
            "logging": {"host": host, "port": processes.free_port(host)},
            "ui": {"enabled": False},
            "singleProjectMode": True,
        }
    }
    config_path = work_dir / "firebase.json"
    config_path.write_text(json.dumps(config, indent=2))
    return [
        "env",
        f"HOME={home}",
        f"TMPDIR={tmp}",
        "CI=true",
        "NO_UPDATE_NOTIFIER=1",
        f"FIREBASE_DEBUG_PATH={work_dir / 'firebase-debug.log'}",
        str(FIREBASE_BIN),
        "emulators:start",
        "--only",
        "auth",
        "--project",
        project_id,
        "--config",
        str(config_path),
        "--non-interactive",
    ]


def ready(host: str, port: int) -> bool:
    """True once the auth emulator says so (``GET /`` answers ``{"authEmulator": {"ready"}}``)."""
    try:
        answer = httpx.get(f"http://{host}:{port}/", timeout=1.0)
        return answer.status_code == 200 and answer.json()["authEmulator"]["ready"] is True
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return False
