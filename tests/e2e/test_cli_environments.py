"""``switchyard agents environments|promote|rollback``, ``runs create --environment`` and
``switchyard keys`` against the local stack."""

from __future__ import annotations

from pathlib import Path

from examples.scenario import PRICE_MONITOR, OutsideWorld
from shared.settings import Settings
from tests.e2e.test_cli import as_json, example_file, switchyard

NAME = "competitor-price-monitor"


def test_promote_rollback_and_runs_in_an_environment(
    stack: Settings, world: OutsideWorld, env: dict[str, str], tmp_path: Path
) -> None:
    spec = example_file(stack, world, PRICE_MONITOR, tmp_path)
    assert switchyard(env, "apply", "-f", str(spec)).exit_code == 0
    spec.write_text(spec.read_text().replace("temperature: 0.2", "temperature: 0.7"))
    assert switchyard(env, "apply", "-f", str(spec)).exit_code == 0

    before = as_json(switchyard(env, "agents", "environments", NAME, "--json"))
    table = switchyard(env, "agents", "environments", NAME)
    dev_run = as_json(switchyard(env, "runs", "create", NAME, "--environment", "dev", "--json"))
    promoted = as_json(
        switchyard(env, "agents", "promote", NAME, "prod", "--version", "2", "--json")
    )
    prod_run = as_json(switchyard(env, "runs", "create", NAME, "--json"))
    rolled = switchyard(env, "agents", "rollback", NAME, "prod", "--version", "1")
    staged = as_json(
        switchyard(env, "agents", "promote", NAME, "staging", "--from", "dev", "--json")
    )

    assert {name: e["version"] for name, e in before["environments"].items()} == {
        "dev": 2,
        "staging": 1,
        "prod": 1,
    }
    assert table.exit_code == 0 and "staging" in table.stdout and "api_key:" in table.stdout
    assert (dev_run["environment"], dev_run["agent_version"]) == ("dev", 2)
    assert (promoted["from_version"], promoted["to_version"]) == (1, 2)
    assert (prod_run["environment"], prod_run["agent_version"]) == ("prod", 2)
    assert rolled.exit_code == 0 and "version 2 → 1" in rolled.stdout
    assert staged["to_version"] == 2
    after = as_json(switchyard(env, "agents", "environments", NAME, "--json"))
    assert after["environments"]["prod"]["version"] == 1
    shown = switchyard(env, "agents", "get", NAME)
    assert "environments: dev v2, staging v2, prod v1" in shown.stdout


def test_environment_mistakes_exit_with_codes_scripts_rely_on(
    stack: Settings, world: OutsideWorld, env: dict[str, str], tmp_path: Path
) -> None:
    switchyard(env, "apply", "-f", str(example_file(stack, world, PRICE_MONITOR, tmp_path)))

    not_earlier = switchyard(env, "agents", "rollback", NAME, "prod", "--version", "1")
    no_version = switchyard(env, "agents", "promote", NAME, "prod", "--version", "7")
    no_environment = switchyard(env, "agents", "promote", NAME, "qa", "--version", "1")
    both = switchyard(env, "agents", "promote", NAME, "prod", "--version", "1", "--from", "dev")
    bad_run = switchyard(env, "runs", "create", NAME, "--environment", "qa")

    assert not_earlier.exit_code == 2 and "rollback_not_earlier" in not_earlier.output
    assert no_version.exit_code == 3 and "agent_version_not_found" in no_version.output
    assert no_environment.exit_code == 3 and "environment_not_found" in no_environment.output
    assert both.exit_code == 2
    assert bad_run.exit_code == 2


def test_keys_create_list_and_revoke(env: dict[str, str]) -> None:
    created = as_json(switchyard(env, "keys", "create", "ci", "-s", "runs:read", "--json"))
    plain = switchyard(env, "keys", "create", "laptop", "--scope", "agents:read", "--test")
    listed = as_json(switchyard(env, "keys", "list", "--json"))
    table = switchyard(env, "keys", "list")
    revoked = as_json(switchyard(env, "keys", "revoke", created["api_key"]["key_id"], "--json"))
    missing = switchyard(env, "keys", "revoke", "0000000000000000")
    no_scope = switchyard(env, "keys", "create", "x", "--scope", "everything")
    as_reader = switchyard({**env, "SWITCHYARD_API_KEY": plain.stdout.strip()}, "keys", "list")

    assert created["key"].startswith("sy_live_")
    assert plain.exit_code == 0 and plain.stdout.strip().startswith("sy_test_")
    names = [key["name"] for key in listed["items"]]
    assert names[-2:] == ["ci", "laptop"]
    assert all("key" not in key and "secret_hash" not in key for key in listed["items"])
    assert table.exit_code == 0 and "laptop" in table.stdout and created["key"] not in table.stdout
    assert revoked["revoked"] is True
    assert missing.exit_code == 3
    assert no_scope.exit_code == 2
    assert as_reader.exit_code == 4  # an agents:read key may not manage keys
