"""The main job: two real agent runs through every stage of the pipeline on the local stack.

Run ``make demo`` (``python -m emulators run -- python -m examples.demo``). It creates an
organisation and an API key, serves two competitor pages and a webhook receiver on loopback, then:

1. ``competitor-price-monitor`` fetches both pages (two tool calls through the ``tool-http-fetch``
   queue), answers, passes its post-generation evals and is delivered to the webhook, signed;
2. ``support-reply-drafter`` drafts a reply that leaks an email address, fails its critical
   eval, is blocked (nothing delivered) and its owner gets an alert saying why.

The model is the local Gemini emulator answering from the scripts beside each agent spec.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from examples.scenario import (
    PRICE_MONITOR,
    SUPPORT_REPLY_GATE,
    ApiClient,
    OutsideWorld,
    outside_world,
    register_model_script,
    render,
)
from shared import resources
from shared.auth.onboarding import create_org_with_key
from shared.composition import build_dependencies
from shared.settings import Settings


def _describe(event_type: str, data: dict[str, Any]) -> str:
    if event_type == "step.completed":
        return f"model step {data.get('step')} done ({data.get('completion_tokens', 0)} tokens out)"
    if event_type == "tool_call.completed":
        where = f"step {data.get('step')}, call {data.get('call_index')}"
        return f"tool {data.get('name')} ({where}): {data.get('status')}"
    if "evals" in data:
        verdicts = [f"{e['name']}={'pass' if e['passed'] else 'FAIL'}" for e in data["evals"]]
        return f"{event_type} [{', '.join(verdicts)}]" if verdicts else event_type
    if "code" in data:
        return f"{event_type}: {data.get('message', data['code'])}"
    return event_type


def run_example(
    api: ApiClient,
    settings: Settings,
    world: OutsideWorld,
    example: Path,
    run_input: dict[str, Any],
) -> dict[str, Any]:
    """Apply one example agent, trigger it, stream its events; returns the finished run."""
    variables = world.variables()
    assert settings.vertex_base_url
    register_model_script(settings.vertex_base_url, example, variables)
    created = api.create_agent(render(example / "agent.yaml", variables))
    agent_id, version = created["agent"]["agent_id"], created["version"]["version"]
    print(f"\n== {created['agent']['name']} (agent {agent_id}, version {version})")
    run = api.start_run(agent_id, run_input)
    print(f"   run {run['run_id']} requested; streaming its events:")
    for event_type, data in api.events(run["run_id"]):
        print(f"   · {_describe(event_type, data)}")
    return api.get(f"/v1/runs/{run['run_id']}")


def main() -> int:
    """Run both examples; 0 when each ends as designed (delivered, then blocked)."""
    settings = Settings()
    if not (settings.api_url and settings.vertex_base_url):
        print("run this inside the local stack: make demo", file=sys.stderr)
        return 2
    deps = build_dependencies(settings)
    org, api_key = create_org_with_key(deps, "Demo Co")
    secret = deps.secrets.access(resources.webhook_signing_secret_id(org.org_id)).decode()
    api = ApiClient(settings.api_url, api_key)
    print(f"organisation {org.org_id}, API key {api_key[:16]}… (shown once, stored hashed)")
    with outside_world(secret) as world:
        monitor = run_example(api, settings, world, PRICE_MONITOR, {"product": "widget"})
        print(f"   → {monitor['status']}; output artifact {monitor.get('artifact_uri')}")
        for hook in world.webhooks.requests:
            print(f"   → webhook received, signature verified, id {hook.headers['webhook-id']}")
            print("     " + json.loads(hook.body)["output"].strip().replace("\n", "\n     "))
        trace_path = f"/v1/runs/{monitor['run_id']}/trace"
        print(f"   → trace: GET {trace_path} ({len(api.get(trace_path).get('steps', []))} steps)")

        ticket = {"ticket": "I can't log in, please help"}
        gated = run_example(api, settings, world, SUPPORT_REPLY_GATE, ticket)
        print(f"   → {gated['status']}: {(gated.get('error') or {}).get('message', '')}")
        delivered = len(world.webhooks.requests) - 1
        print(f"   → webhooks received for it: {delivered} (nothing unchecked is delivered)")
        for alert in world.alerts.wait_for(1, timeout_s=30):
            reason = json.loads(alert.body)["reason"]
            print(f"   → alert received (signed): {reason['code']}: {reason['message']}")
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
