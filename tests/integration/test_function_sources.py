"""The deployable is what the tests ran: each assembled function source answers a CloudEvent.

``python -m deploy.assemble_functions`` writes each function's folder (``main.py``, ``shared/``,
``requirements.txt``): what Cloud Build zips and Cloud Functions builds. Here each folder is
started the way the Python runtime of Cloud Functions starts it, with functions-framework from
the folder itself (``--target <name> --signature-type cloudevent``), in a clean virtualenv built
from its ``requirements.txt`` and nothing else, with the local stack's environment. The folders'
requirements are byte-identical (asserted below), so one virtualenv is each function's.

Each function then gets the CloudEvent Eventarc delivers for a Pub/Sub message (binary content
mode, ``google.cloud.pubsub.topic.v1.messagePublished``): ``preflight`` a real run, which it
rejects by its pre-flight eval (a full pre-flight on the local stack); every function a message
naming no run, which it dead-letters to its subscription's ``-dlq`` topic and acknowledges.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from google.cloud.pubsub_v1 import SubscriberClient

from deploy.assemble_functions import function_names
from emulators import processes
from shared import resources
from shared.adapters.in_memory_publisher import InMemoryEventPublisher
from shared.auth.onboarding import create_org_with_key
from shared.composition import build_dependencies
from shared.domain.runs import RunStatus
from shared.domain.spec import load_agent_spec
from shared.pipeline.trigger import request_run
from shared.settings import Settings
from tests.integration.deployables import ROOT, clean_virtualenv, deployed_env, started

FUNCTIONS = function_names()
HOST = "127.0.0.1"
PROJECT = "demo-switchyard"

REJECTING_SPEC = {
    "agent": {
        "name": "function-source-check",
        "system_prompt": "Answer briefly.",
        "trigger": {"type": "manual"},
        "evals": [
            {
                "name": "no_forbidden_word",
                "type": "safety",
                "stage": "pre_flight",
                "assert": [{"type": "not-icontains", "value": "forbidden"}],
                "on_failure": {"severity": "critical", "action": "block_delivery"},
            }
        ],
    }
}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("functions")
    subprocess.run(
        [sys.executable, "-m", "deploy.assemble_functions", "--out", str(out)],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return {name: out / name for name in FUNCTIONS}


@pytest.fixture(scope="module")
def venv(sources: dict[str, Path]) -> Path:
    return clean_virtualenv(next(iter(sources.values())) / "requirements.txt")


@pytest.fixture(scope="module")
def ports(
    stack: Settings, sources: dict[str, Path], venv: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, int]]:
    logs = tmp_path_factory.mktemp("logs")
    chosen = {name: processes.free_port() for name in sources}
    with contextlib.ExitStack() as stack_of_processes:
        for name, folder in sources.items():
            command = [
                str(venv / "bin" / "functions-framework"), "--target", name,
                "--signature-type", "cloudevent", "--host", HOST, "--port", str(chosen[name]),
            ]  # fmt: skip
            stack_of_processes.enter_context(
                # functions-framework answers 404 on GET / for a CloudEvent function once it serves.
                started(command, folder, deployed_env(), logs / f"{name}.log",
                        ready=f"http://{HOST}:{chosen[name]}/robots.txt")
            )  # fmt: skip
        yield chosen


def _event(
    subscription: resources.Subscription, data: bytes, attributes: dict[str, str]
) -> tuple[dict[str, str], str]:
    """The HTTP request Eventarc sends a function for one Pub/Sub message (binary mode)."""
    message_id = str(uuid.uuid4().int)[:16]
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    headers = {
        "ce-specversion": "1.0",
        "ce-id": message_id,
        "ce-source": f"//pubsub.googleapis.com/projects/{PROJECT}/topics/{subscription.topic}",
        "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
        "ce-time": now,
        "content-type": "application/json",
    }
    body = {
        "message": {
            "data": base64.b64encode(data).decode(),
            "attributes": attributes,
            "messageId": message_id,
            "publishTime": now,
        },
        "subscription": f"projects/{PROJECT}/subscriptions/eventarc-europe-west1-test-sub-000",
    }
    return headers, json.dumps(body)


def _send(port: int, consumer: str, data: bytes, attributes: dict[str, str]) -> httpx.Response:
    headers, body = _event(resources.SUBSCRIPTIONS_BY_CONSUMER[consumer], data, attributes)
    return httpx.post(f"http://{HOST}:{port}/", content=body, headers=headers, timeout=30)


def test_every_function_has_the_same_pinned_requirements(sources: dict[str, Path]) -> None:
    texts = {(folder / "requirements.txt").read_text() for folder in sources.values()}
    assert len(texts) == 1, "the functions' requirements differ: one virtualenv cannot serve all"
    pins = [line for line in texts.pop().splitlines() if line and not line.startswith("#")]
    assert pins and all("==" in line for line in pins)
    assert any(line.startswith("functions-framework==") for line in pins)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_source_imports_only_what_it_ships(
    name: str, sources: dict[str, Path], venv: Path
) -> None:
    probe = (
        "import importlib.util, main, shared; print(shared.__file__); "
        "print([m for m in ('emulators', 'cloudrun', 'deploy', 'tests') "
        "if importlib.util.find_spec(m)])"
    )
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], cwd=sources[name], env=deployed_env(),
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    shared_file, unreachable = result.stdout.strip().splitlines()[-2:]
    assert Path(shared_file).is_relative_to(sources[name])
    assert unreachable == "[]", "the deployable must not see this checkout"


def test_preflight_source_runs_a_full_pre_flight(stack: Settings, ports: dict[str, int]) -> None:
    deps = build_dependencies(stack)
    org, _key = create_org_with_key(deps, "Function Sources Co")
    agent, _version = deps.agents.create_agent(org.org_id, load_agent_spec(REJECTING_SPEC))
    # Stored but not announced: only the assembled preflight below sees the run.
    quiet = dataclasses.replace(deps, publisher=InMemoryEventPublisher())
    run = request_run(quiet, org.org_id, agent.agent_id, {"text": "a forbidden request"})
    data = json.dumps({"run_id": run.run_id}).encode()

    response = _send(ports["preflight"], "preflight", data, {"event_type": "test"})

    assert response.status_code == 200, response.text
    stored = deps.runs.get_run(run.run_id)
    assert stored.status is RunStatus.REJECTED
    assert stored.error is not None and stored.error.code == "preflight_eval_failed"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_message_naming_no_run_is_dead_lettered(
    name: str, stack: Settings, ports: dict[str, int]
) -> None:
    declared = resources.SUBSCRIPTIONS_BY_CONSUMER[name]
    marker = uuid.uuid4().hex
    data = json.dumps({"run_id": f"no-such-run-{marker}"}).encode()

    response = _send(ports[name], name, data, {"marker": marker})

    assert response.status_code == 200, "a poison message is acknowledged, never retried"
    subscriber = SubscriberClient()
    inspect = subscriber.subscription_path(stack.project_id, declared.dead_letter_subscription)
    found = None
    for _attempt in range(10):  # bounded: the dead letter was published before the answer
        pulled = subscriber.pull(subscription=inspect, max_messages=50, timeout=10)
        if pulled.received_messages:
            subscriber.acknowledge(
                subscription=inspect, ack_ids=[m.ack_id for m in pulled.received_messages]
            )
        found = found or next(
            (
                m.message
                for m in pulled.received_messages
                if m.message.attributes.get("marker") == marker
            ),
            None,
        )
        if found:
            break
    assert found is not None, f"nothing reached {declared.dead_letter_subscription}"
    assert found.data == data
    assert found.attributes["error_code"] in {"malformed_message", "run_not_found"}
