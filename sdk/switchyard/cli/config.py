"""Where the CLI keeps the API's URL and credentials: ``config.json`` in the user's config folder.

The directory is click's ``get_app_dir("switchyard")`` (``$XDG_CONFIG_HOME/switchyard`` or
``~/.config/switchyard`` on Linux, ``~/Library/Application Support/switchyard`` on macOS,
``%APPDATA%\\switchyard`` on Windows). The file holds secrets, so it is written 0600. It holds
either an API key or, after ``switchyard login --email``, a person's Firebase tokens (the ID
token is replaced in the file each time it is refreshed) and the organisation they chose.
``--api-url``/``--api-key`` and the variables ``SWITCHYARD_API_URL``/``SWITCHYARD_API_KEY``
override it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from switchyard._core import Credential
from switchyard.firebase import FirebaseSession, FirebaseTokens

APP_NAME = "switchyard"


@dataclass(frozen=True)
class Credentials:
    """The API to talk to and what to talk with: an API key, or a person's Firebase tokens.

    Attributes:
        api_url: The API's URL.
        api_key: An API key, or None for a person.
        firebase: A signed-in person's tokens, or None for a key.
        org_id: The organisation the person acts for (None: their only one).
    """

    api_url: str
    api_key: str | None = None
    firebase: FirebaseTokens | None = None
    org_id: str | None = None

    def credential(self) -> Credential:
        """The client's credential: the key, or a session that refreshes and stores tokens."""
        if self.api_key is not None:
            return self.api_key
        if self.firebase is None:
            raise ValueError("credentials hold neither an API key nor Firebase tokens")

        def keep(tokens: FirebaseTokens) -> None:
            save(dataclasses.replace(self, firebase=tokens))

        return FirebaseSession(self.firebase, on_refresh=keep)


def config_path() -> Path:
    """The config file's path (it may not exist yet)."""
    return Path(typer.get_app_dir(APP_NAME)) / "config.json"


def save(credentials: Credentials) -> Path:
    """Store ``credentials``, readable by the user only; returns the file's path."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    document: dict[str, Any] = {"api_url": credentials.api_url}
    if credentials.api_key is not None:
        document["api_key"] = credentials.api_key
    if credentials.firebase is not None:
        document["firebase"] = dataclasses.asdict(credentials.firebase)
    if credentials.org_id is not None:
        document["org_id"] = credentials.org_id
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(document, file, indent=2)
    path.chmod(0o600)  # O_CREAT's mode does not apply to a file that already existed
    return path


def load(api_url: str | None, api_key: str | None) -> Credentials | None:
    """The credentials to use: the overrides, else the config file; None when incomplete."""
    stored: dict[str, Any] = {}
    path = config_path()
    if path.exists():
        stored = json.loads(path.read_text())
    url = api_url or stored.get("api_url")
    if not url:
        return None
    key = api_key or stored.get("api_key")
    if key:
        return Credentials(url.rstrip("/"), api_key=key)
    if "firebase" in stored:
        return Credentials(
            url.rstrip("/"),
            firebase=FirebaseTokens(**stored["firebase"]),
            org_id=stored.get("org_id"),
        )
    return None
