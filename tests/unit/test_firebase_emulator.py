"""The Firebase Auth emulator's launch: pinned once, configured per stack, offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from emulators import firebase_auth
from shared.gcp_clients import firebase_app
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_makefile_installs_the_version_the_stack_expects() -> None:
    makefile = (ROOT / "Makefile").read_text()
    pinned = re.search(r"^FIREBASE_TOOLS_VERSION := (\S+)$", makefile, re.MULTILINE)

    assert pinned is not None
    assert pinned.group(1) == firebase_auth.FIREBASE_TOOLS_VERSION


def test_each_stack_gets_its_own_ports_config_store_and_hub_locator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = tmp_path / "firebase"
    cli.touch()
    monkeypatch.setattr(firebase_auth, "FIREBASE_BIN", cli)

    command = firebase_auth.command("127.0.0.1", 9099, "demo-x", tmp_path / "work")

    config = json.loads((tmp_path / "work" / "firebase.json").read_text())["emulators"]
    assert config["auth"] == {"host": "127.0.0.1", "port": 9099}
    assert len({config["auth"]["port"], config["hub"]["port"], config["logging"]["port"]}) == 3
    assert config["ui"] == {"enabled": False}
    env = dict(arg.split("=", 1) for arg in command[1 : command.index(str(cli))])
    assert env["HOME"] == str(tmp_path / "work" / "home")
    assert env["TMPDIR"] == str(tmp_path / "work" / "tmp")
    assert env["CI"] == "true"  # no message-of-the-day fetch
    assert "NO_UPDATE_NOTIFIER" in env  # no npm update check
    assert env["FIREBASE_DEBUG_PATH"].startswith(str(tmp_path / "work"))
    arguments = command[command.index(str(cli)) + 1 :]
    assert arguments[:4] == ["emulators:start", "--only", "auth", "--project"]
    assert arguments[4] == "demo-x"
    assert "--non-interactive" in arguments


def test_a_missing_install_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(firebase_auth, "FIREBASE_BIN", tmp_path / "absent")

    with pytest.raises(RuntimeError, match="make install"):
        firebase_auth.command("127.0.0.1", 9099, "demo-x", tmp_path)


def test_readiness_needs_the_emulator_s_own_answer() -> None:
    assert firebase_auth.ready("127.0.0.1", 1) is False


def test_the_emulator_s_unsigned_tokens_are_never_accepted_for_a_real_project() -> None:
    settings = Settings(project_id="acme-prod", firebase_auth_emulator_host="127.0.0.1:9099")

    with pytest.raises(RuntimeError, match="real project"):
        firebase_app(settings)
