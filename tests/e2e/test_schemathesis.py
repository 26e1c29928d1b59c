"""schemathesis against the local stack's ``/openapi.json``, as two organisations.

Two peers (Web Fuzzing Commons auth file, ``[auth.wfc] peers``), each an organisation with a key
holding every scope but ``admin`` (so the run cannot revoke its own keys; the key routes are
still exercised, answering 403). Every check runs, among them ``object_level_authorization``
(one organisation reads what the other made: BOLA), ``ensure_resource_availability`` and
``ignored_auth``. Before it, organisation A makes an agent and a run, and B is shown to get 404
for them: the cross-organisation read is probed whatever schemathesis happens to generate.

The event stream (``/v1/runs/{run_id}/events``) is left out: it holds its connection until the
run ends, for up to 290 s, which no request timeout of a fuzzer fits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from shared.auth.keys import NewApiKey, create_key
from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies
from shared.settings import Settings

MAX_EXAMPLES = 8
MAX_TIME_S = 60
SEED = 7
SCOPES = ("agents:read", "agents:write", "runs:read", "runs:write", "credentials:write")
SPEC = "agent:\n  name: schemathesis-seed\n  system_prompt: You answer briefly.\n"


def _org_key(deps: Dependencies, name: str) -> str:
    org, _admin_key = create_org_with_key(deps, name)
    request = NewApiKey(name="schemathesis", scopes=SCOPES)
    return create_key(deps, org.org_id, request).key


def _seed_and_probe(api_url: str, owner: str, peer: str) -> None:
    """A makes an agent and a run; B may not read, list or change them."""
    with httpx.Client(base_url=api_url, timeout=30.0) as client:
        a = {"Authorization": f"Bearer {owner}"}
        b = {"Authorization": f"Bearer {peer}"}
        created = client.post(
            "/v1/agents", content=SPEC, headers={**a, "Content-Type": "application/yaml"}
        )
        assert created.status_code == 201, created.text
        agent_id = created.json()["agent"]["agent_id"]
        run = client.post(f"/v1/agents/{agent_id}/runs", json={"input": {}}, headers=a)
        assert run.status_code == 202, run.text
        run_id = run.json()["run_id"]
        for path in (
            f"/v1/agents/{agent_id}",
            f"/v1/agents/{agent_id}/versions",
            f"/v1/runs/{run_id}",
            f"/v1/runs/{run_id}/trace",
            f"/v1/runs/{run_id}/evals",
        ):
            assert client.get(path, headers=a).status_code == 200, path
            assert client.get(path, headers=b).status_code == 404, path
        for path in (f"/v1/agents/{agent_id}/deactivate", f"/v1/runs/{run_id}/cancel"):
            assert client.post(path, headers=b).status_code == 404, path
        listed = client.get("/v1/runs", params={"agent_id": agent_id}, headers=b).json()
        assert listed["items"] == []


def _cross_org_probes(entries: list[dict[str, Any]], owner: str, peer: str) -> list[int]:
    """Statuses of the peer's reads of ids the owner created (from the HAR of the run)."""

    def key_of(entry: dict[str, Any]) -> str:
        headers = {h["name"].lower(): h["value"] for h in entry["request"]["headers"]}
        return headers.get("authorization", "").removeprefix("Bearer ")

    created: set[str] = set()
    for entry in entries:
        request, response = entry["request"], entry["response"]
        if (
            request["method"] == "POST"
            and response["status"] in (201, 202)
            and key_of(entry) == owner
        ):
            body = json.loads(response.get("content", {}).get("text") or "{}")
            body = body.get("agent", body)
            created |= {str(body[k]) for k in ("agent_id", "run_id") if k in body}
    return [
        entry["response"]["status"]
        for entry in entries
        if entry["request"]["method"] == "GET"
        and key_of(entry) == peer
        and any(f"/{resource_id}" in entry["request"]["url"] for resource_id in created)
    ]


def test_schemathesis_finds_no_5xx_no_schema_violation_and_no_cross_org_read(
    stack: Settings, deps: Dependencies, tmp_path: Path
) -> None:
    assert stack.api_url
    acme, globex = _org_key(deps, "Schemathesis A"), _org_key(deps, "Schemathesis B")
    _seed_and_probe(stack.api_url, acme, globex)
    users = [
        {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {key}"}]}
        for name, key in (("acme", acme), ("globex", globex))
    ]
    (tmp_path / "wfc.json").write_text(json.dumps({"schemaVersion": "0.2.0", "auth": users}))
    (tmp_path / "schemathesis.toml").write_text(
        f'[auth.wfc]\npath = "{tmp_path / "wfc.json"}"\npeers = ["acme", "globex"]\n'
    )
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(tmp_path / "schemathesis.toml"),
        "run", f"{stack.api_url}/openapi.json",
        "--checks", "all",
        # Schema-valid is not always valid: a page token is opaque, a spec's assertion types and
        # a credential's fields depend on each other in ways JSON Schema does not say. Such
        # requests rightly get 422, which this check would count as failures.
        "--exclude-checks", "positive_data_acceptance",
        "--output-sanitize", "false",  # keep the keys in the HAR, to find the peer's probes
        "--max-examples", str(MAX_EXAMPLES),
        "--max-time", str(MAX_TIME_S),
        "--seed", str(SEED),
        "--workers", "1",  # CPython 3.11's ast is not thread-safe (hypothesis parses lambdas)
        "--rate-limit", "15/s",  # under the API's per-key limit (20/s), so 429s stay rare
        "--request-timeout", "70",  # GET /v1/runs/{id}?wait= may hold 60 s
        "--exclude-path", "/v1/runs/{run_id}/events",
        "--report", "har,ndjson",
        "--report-dir", str(tmp_path),
        "--no-color",
    ]  # fmt: skip
    # In tmp_path, so schemathesis's own cache (.schemathesis/) stays out of the repository.
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=240, check=False, cwd=tmp_path
    )
    (tmp_path / "stdout.txt").write_text(result.stdout)

    print(result.stdout[-6000:])
    entries = json.loads(next(tmp_path.glob("har-*.json")).read_text())["log"]["entries"]
    statuses = Counter(entry["response"]["status"] for entry in entries)
    probes = _cross_org_probes(entries, acme, globex) + _cross_org_probes(entries, globex, acme)
    print(f"schemathesis: {len(entries)} requests, statuses {dict(sorted(statuses.items()))}")
    print(f"cross-organisation reads probed: {len(probes)}, answered {Counter(probes)}")
    assert len(entries) > 300
    assert not [status for status in statuses if status >= 500]
    assert probes, "no read of one organisation's resource by the other was made"
    assert set(probes) <= {400, 401, 403, 404, 422, 429}
    assert result.returncode == 0, result.stdout[-6000:]
