"""Where the CLI keeps the API's URL and key: ``config.json`` in the user's config directory.

The directory is click's ``get_app_dir("switchyard")`` (``$XDG_CONFIG_HOME/switchyard`` or
``~/.config/switchyard`` on Linux, ``~/Library/Application Support/switchyard`` on macOS,
``%APPDATA%\\switchyard`` on Windows). The file holds a secret, so it is written 0600.
``--api-url``/``--api-key`` and the variables ``SWITCHYARD_API_URL``/``SWITCHYARD_API_KEY``
override it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import typer

APP_NAME = "switchyard"


@dataclass(frozen=True)
class Credentials:
    """The API to talk to and the key to talk with."""

    api_url: str
    api_key: str


def config_path() -> Path:
    """The config file's path (it may not exist yet)."""
    return Path(typer.get_app_dir(APP_NAME)) / "config.json"


def save(credentials: Credentials) -> Path:
    """Store ``credentials``, readable by the user only; returns the file's path."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    document = {"api_url": credentials.api_url, "api_key": credentials.api_key}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(document, file, indent=2)
    path.chmod(0o600)  # O_CREAT's mode does not apply to a file that already existed
    return path


def load(api_url: str | None, api_key: str | None) -> Credentials | None:
    """The credentials to use: the overrides, else the config file; None when incomplete."""
    stored: dict[str, str] = {}
    path = config_path()
    if path.exists():
        stored = json.loads(path.read_text())
    url = api_url or stored.get("api_url")
    key = api_key or stored.get("api_key")
    return Credentials(url.rstrip("/"), key) if url and key else None
