"""The ``switchyard`` command line against the local stack (typer's CliRunner, the real API)."""

from __future__ import annotations

import json
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from examples.scenario import (
    PRICE_MONITOR,
    SUPPORT_REPLY_GATE,
    OutsideWorld,
    register_model_script,
    render,
)
from shared.settings import Settings
from switchyard.cli import app
from tests.e2e.conftest import Tenant
from tests.e2e.sdk_support import hold_pages


def switchyard(env: Mapping[str, str | None], *args: str) -> Result:
    """Run the CLI with ``args``."""
    return CliRunner().invoke(app, list(args), env=env)


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def example_file(
    stack: Settings, world: OutsideWorld, example: Path, tmp_path: Path, edit: str = ""
) -> Path:
    """The example's agent.yaml, rendered (and edited) into ``tmp_path``; its script registered."""
    assert stack.vertex_base_url
    register_model_script(stack.vertex_base_url, example, world.variables())
    path = tmp_path / f"{example.name}.yaml"
    path.write_text(render(example / "agent.yaml", world.variables()) + edit)
    return path


def test_apply_creates_then_adds_a_version_with_a_diff(
    stack: Settings, world: OutsideWorld, env: dict[str, str], tmp_path: Path
) -> None:
    spec = example_file(stack, world, PRICE_MONITOR, tmp_path)

    created = switchyard(env, "apply", "-f", str(spec))
    spec.write_text(spec.read_text().replace("temperature: 0.2", "temperature: 0.7"))
    updated = as_json(switchyard(env, "apply", "-f", str(spec), "--json"))
    shown = switchyard(env, "agents", "versions", "competitor-price-monitor")

    assert created.exit_code == 0, created.output
    assert "created" in created.stdout and "version 1" in created.stdout
    assert updated["action"] == "updated"
    assert updated["version"]["version"] == 2
    assert "-  temperature: 0.2" in updated["diff"] and "+  temperature: 0.7" in updated["diff"]
    assert shown.exit_code == 0 and "2" in shown.stdout
    [listed] = as_json(switchyard(env, "agents", "list", "--json"))["items"]
    assert listed["latest_version"] == 2
    got = as_json(switchyard(env, "agents", "get", listed["agent_id"], "--json"))
    assert got["version"]["spec"]["model"]["temperature"] == 0.7


def test_a_watched_run_that_is_delivered_exits_0(
    stack: Settings, world: OutsideWorld, env: dict[str, str], tmp_path: Path
) -> None:
    switchyard(env, "apply", "-f", str(example_file(stack, world, PRICE_MONITOR, tmp_path)))

    watched = switchyard(
        env, "runs", "create", "competitor-price-monitor", "-i", '{"product": "widget"}', "--watch"
    )

    assert watched.exit_code == 0, watched.output
    assert "delivered" in watched.stdout
    assert "2 model steps, 2 tool calls" in watched.stdout
    [run] = as_json(switchyard(env, "runs", "list", "--json"))["items"]
    assert run["status"] == "delivered"
    trace = as_json(switchyard(env, "runs", "trace", run["run_id"], "--json"))
    assert [step["step"] for step in trace["steps"]] == [0, 1]
    logs = as_json(switchyard(env, "runs", "logs", run["run_id"], "--json"))["items"]
    assert logs[0]["type"] == "run.requested" and logs[-1]["type"] == "run.delivered"
    assert switchyard(env, "runs", "trace", run["run_id"]).exit_code == 0
    assert "run.delivered" in switchyard(env, "runs", "logs", run["run_id"]).stdout


def test_a_watched_run_that_is_blocked_exits_1_and_json_parses(
    stack: Settings, world: OutsideWorld, env: dict[str, str], tmp_path: Path
) -> None:
    switchyard(env, "apply", "-f", str(example_file(stack, world, SUPPORT_REPLY_GATE, tmp_path)))
    ticket = json.dumps({"ticket": "locked out"})

    watched = switchyard(
        env, "runs", "create", "support-reply-drafter", "-i", ticket, "--watch", "--json"
    )

    assert watched.exit_code == 1, watched.output
    run = json.loads(watched.stdout)
    assert run["status"] == "blocked"
    got = as_json(switchyard(env, "runs", "get", run["run_id"], "--json"))
    assert got["error"]["code"] == run["error"]["code"]


def test_cancel_stops_a_run_and_refuses_an_ended_one(
    stack: Settings, world: OutsideWorld, env: dict[str, str], tmp_path: Path
) -> None:
    switchyard(env, "apply", "-f", str(example_file(stack, world, PRICE_MONITOR, tmp_path)))
    held = hold_pages(world)
    started = as_json(switchyard(env, "runs", "create", "competitor-price-monitor", "--json"))
    try:
        assert held.arrived.wait(60), "the tool call never reached the page"
        cancelled = as_json(switchyard(env, "runs", "cancel", started["run_id"], "--json"))
    finally:
        held.release()

    assert cancelled["status"] == "cancelled"
    again = switchyard(env, "runs", "cancel", started["run_id"])
    assert again.exit_code == 0
    waited = as_json(switchyard(env, "runs", "get", started["run_id"], "--wait", "5", "--json"))
    assert waited["status"] == "cancelled"


def test_exit_codes_for_scripts(env: dict[str, str]) -> None:
    assert switchyard(env, "runs", "get", "no-such-run").exit_code == 3
    assert switchyard(env, "runs", "nope").exit_code == 2
    assert switchyard(env, "runs", "create", "x", "-i", "[1]").exit_code == 2
    bad_key = {**env, "SWITCHYARD_API_KEY": "sy_live_nope"}
    assert switchyard(bad_key, "agents", "list").exit_code == 4
    unreachable = {**env, "SWITCHYARD_API_URL": "http://127.0.0.1:9"}
    assert switchyard(unreachable, "agents", "list").exit_code == 5


def test_login_stores_the_credentials_readable_by_the_user_only(
    stack: Settings, tenant: Tenant, tmp_path: Path
) -> None:
    assert stack.api_url
    config_home = tmp_path / "config"
    env: dict[str, str | None] = {
        "XDG_CONFIG_HOME": str(config_home),
        "SWITCHYARD_API_URL": None,  # the stack's own, which would override the file
        "SWITCHYARD_API_KEY": None,
    }

    logged_in = switchyard(
        env, "login", "--api-url", stack.api_url, "--api-key", tenant.api.api_key, "--json"
    )
    listed = switchyard(env, "agents", "list", "--json")
    refused = switchyard(env, "login", "--api-url", stack.api_url, "--api-key", "sy_live_x")

    path = Path(as_json(logged_in)["config_path"])
    assert path.is_relative_to(config_home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["api_key"] == tenant.api.api_key
    assert as_json(listed) == {"items": []}
    assert refused.exit_code == 4
    assert json.loads(path.read_text())["api_key"] == tenant.api.api_key  # kept the good one
