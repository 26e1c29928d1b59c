"""``switchyard login --email``: a person signs in with Firebase Authentication (the stack's Auth
emulator), and later commands send their ID token, refreshed when it expires."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from shared.composition import Dependencies
from shared.domain.members import Membership
from shared.settings import Settings
from switchyard.cli import app
from tests.e2e.conftest import Tenant
from tests.integration.firebase_users import Person, auth_emulator, create_person


@pytest.fixture
def env(stack: Settings, tmp_path: Path) -> dict[str, str | None]:
    """A config directory of the test's own, no key, and the Auth emulator's host."""
    return {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "SWITCHYARD_API_URL": None,
        "SWITCHYARD_API_KEY": None,
        "FIREBASE_AUTH_EMULATOR_HOST": auth_emulator(stack),
    }


@pytest.fixture
def member(deps: Dependencies, stack: Settings, tenant: Tenant) -> Person:
    person = create_person(stack, "cli")
    deps.members.put(
        Membership(
            org_id=tenant.org_id, uid=person.uid, role="developer", email=person.email,
            created_at=deps.clock(), created_by="test",
        )
    )  # fmt: skip
    return person


def switchyard(env: dict[str, str | None], *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_person_logs_in_and_later_commands_refresh_their_token(
    stack: Settings, env: dict[str, str | None], member: Person
) -> None:
    assert stack.api_url
    logged_in = _json(
        switchyard(
            env, "login", "--api-url", stack.api_url, "--email", member.email,
            "--password", member.password, "--json",
        )
    )  # fmt: skip
    path = Path(logged_in["config_path"])
    stored = json.loads(path.read_text())

    assert logged_in["signed_in_as"] == member.email
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "api_key" not in stored
    assert stored["firebase"]["uid"] == member.uid
    assert stored["firebase"]["id_token"].count(".") == 2
    assert _json(switchyard(env, "agents", "list", "--json")) == {"items": []}

    # An ID token about to expire is exchanged for a new one, which is stored.
    stored["firebase"]["expires_at"] = time.time() + 5
    path.write_text(json.dumps(stored))
    assert _json(switchyard(env, "agents", "list", "--json")) == {"items": []}
    refreshed = json.loads(path.read_text())["firebase"]
    assert refreshed["expires_at"] > time.time() + 3000
    assert refreshed["refresh_token"]


def test_a_wrong_password_or_a_stranger_is_refused_and_nothing_is_stored(
    stack: Settings, env: dict[str, str | None], member: Person
) -> None:
    assert stack.api_url
    stranger = create_person(stack, "stranger")

    wrong = switchyard(
        env, "login", "--api-url", stack.api_url, "--email", member.email,
        "--password", "not-the-password",
    )  # fmt: skip
    outsider = switchyard(
        env, "login", "--api-url", stack.api_url, "--email", stranger.email,
        "--password", stranger.password,
    )  # fmt: skip

    assert wrong.exit_code == 4, wrong.output
    assert "INVALID_LOGIN_CREDENTIALS" in wrong.output or "INVALID_PASSWORD" in wrong.output
    assert outsider.exit_code == 4, outsider.output
    assert "no_membership" in outsider.output
    assert not (Path(str(env["XDG_CONFIG_HOME"])) / "switchyard" / "config.json").exists()
