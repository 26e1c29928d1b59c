"""The main job: two real agent runs through every stage of the pipeline, driven by the CLI.

Run ``make demo`` (``python -m emulators run -- python -m examples.demo``). It bootstraps an
organisation and its first API key (what ``python -m cloudrun.api.bootstrap`` does on Google
Cloud), serves two competitor pages and a webhook receiver on loopback, and then works as a user
would, with the ``switchyard`` command line:

1. ``switchyard apply -f`` the ``competitor-price-monitor`` spec and ``switchyard runs create
   --watch`` it: it fetches both pages (two tool calls through the ``tool-http-fetch`` queue),
   answers, passes its post-generation evals and is delivered to the webhook, signed;
   ``switchyard runs trace`` shows its steps;
2. the same for ``support-reply-drafter``, whose draft leaks an email address: its critical eval
   fails, the run is blocked (nothing delivered) and the owner gets an alert saying why;
3. ``switchyard agents environments`` shows which version ``dev``, ``staging`` and ``prod`` run.

The model is the local Gemini emulator answering from the scripts beside each agent spec.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from examples.scenario import (
    PRICE_MONITOR,
    SUPPORT_REPLY_GATE,
    OutsideWorld,
    outside_world,
    register_model_script,
    render,
)
from shared import resources
from shared.auth.onboarding import create_org_with_key
from shared.composition import build_dependencies
from shared.settings import Settings

# The `switchyard` command that `pip install` put beside this interpreter.
CLI = str(Path(sys.executable).parent / "switchyard")


class Cli:
    """Runs ``switchyard`` commands as a user would, with the demo's API URL and key.

    Args:
        api_url: The API's base URL.
        api_key: The organisation's key (``SWITCHYARD_API_KEY`` of each command).
    """

    def __init__(self, api_url: str, api_key: str) -> None:
        self._env = {**os.environ, "SWITCHYARD_API_URL": api_url, "SWITCHYARD_API_KEY": api_key}

    def show(self, *args: str) -> int:
        """Run a command with its output on this terminal; returns its exit code."""
        print(f"\n$ switchyard {' '.join(args)}", flush=True)
        return subprocess.run([CLI, *args], env=self._env, check=False).returncode

    def json(self, *args: str) -> Any:
        """Run a command with ``--json``; returns what it printed.

        Raises:
            subprocess.CalledProcessError: The command failed.
        """
        command = [CLI, *args, "--json"]
        done = subprocess.run(command, env=self._env, check=True, capture_output=True, text=True)
        return json.loads(done.stdout)


def run_example(
    cli: Cli, settings: Settings, world: OutsideWorld, example: Path, run_input: dict[str, Any]
) -> dict[str, Any]:
    """Apply one example agent, start a run and watch it; returns the finished run."""
    variables = world.variables()
    assert settings.vertex_base_url
    register_model_script(settings.vertex_base_url, example, variables)
    spec_text = render(example / "agent.yaml", variables)
    name = yaml.safe_load(spec_text)["agent"]["name"]
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "agent.yaml"
        spec.write_text(spec_text)
        cli.show("apply", "-f", str(spec))
    cli.show("runs", "create", name, "--input", json.dumps(run_input), "--watch")
    newest = cli.json("runs", "list", "--agent", name, "--limit", "1")["items"][0]
    return cli.json("runs", "get", newest["run_id"])  # type: ignore[no-any-return]


def main() -> int:
    """Run both examples; 0 when each ends as designed (delivered, then blocked)."""
    settings = Settings()
    if not (settings.api_url and settings.vertex_base_url):
        print("run this inside the local stack: make demo", file=sys.stderr)
        return 2
    deps = build_dependencies(settings)
    org, api_key = create_org_with_key(deps, "Demo Co")
    secret = deps.secrets.access(resources.webhook_signing_secret_id(org.org_id)).decode()
    cli = Cli(settings.api_url, api_key)
    print(f"organisation {org.org_id}, API key {api_key[:16]}… (shown once, stored hashed)")
    with outside_world(secret) as world:
        monitor = run_example(cli, settings, world, PRICE_MONITOR, {"product": "widget"})
        for hook in world.webhooks.requests:
            print(f"→ webhook received, signature verified, id {hook.headers['webhook-id']}")
        cli.show("runs", "trace", monitor["run_id"])

        ticket = {"ticket": "I can't log in, please help"}
        gated = run_example(cli, settings, world, SUPPORT_REPLY_GATE, ticket)
        print(f"→ webhooks received for it: {len(world.webhooks.requests) - 1} (none: blocked)")
        for alert in world.alerts.wait_for(1, timeout_s=30):
            reason = json.loads(alert.body)["reason"]
            print(f"→ alert received (signed): {reason['code']}: {reason['message']}")
        cli.show("agents", "environments", "competitor-price-monitor")
    ok = (
        monitor["status"] == "delivered"
        and gated["status"] == "blocked"
        and len(world.alerts.requests) == 1
        and len(world.webhooks.requests) == 1
    )
    print("\ndemo " + ("finished as designed" if ok else "did NOT finish as designed"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
