"""The deploy tools: pinned requirements, function sources, the provider schema check, and the
Eventarc subscription script (run against a stand-in gcloud that records its calls)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from deploy import assemble_functions, check_terraform_schema, requirements
from tests.test_repo.terraform_model import MODULE

# --- requirements ------------------------------------------------------------------------------


def test_the_closure_pins_installed_versions_and_follows_extras() -> None:
    pins = requirements.pinned_closure([Requirement("pyjwt[crypto]>=2")])
    assert pins["pyjwt"] == metadata.version("pyjwt")
    assert pins["cryptography"] == metadata.version("cryptography")  # from the crypto extra


def test_a_missing_or_unsatisfied_requirement_is_refused() -> None:
    with pytest.raises(requirements.RequirementsError, match="not installed"):
        requirements.pinned_closure([Requirement("no-such-distribution-switchyard")])
    with pytest.raises(requirements.RequirementsError, match="requires"):
        requirements.pinned_closure([Requirement("pyyaml>=999")])


def test_runtime_requirements_cover_pyproject_and_leave_out_the_dev_tools() -> None:
    text = requirements.runtime_requirements()
    names = {line.split("==")[0] for line in text.splitlines() if "==" in line}
    assert {"functions-framework", "gunicorn", "google-cloud-firestore", "pydantic"} <= names
    assert not names & {"pytest", "ruff", "mypy", "python-hcl2", "gcp-storage-emulator"}


# --- function sources --------------------------------------------------------------------------


def test_sources_are_complete_and_their_zips_reproducible(tmp_path: Path) -> None:
    first = assemble_functions.assemble(tmp_path / "a", make_zips=True)
    second = assemble_functions.assemble(tmp_path / "b", make_zips=True)
    assert [s.name for s in first] == assemble_functions.function_names()
    assert [s.object_name for s in first] == [s.object_name for s in second]
    for source in first:
        assert source.archive is not None
        names = zipfile.ZipFile(source.archive).namelist()
        assert {"main.py", "requirements.txt", "shared/__init__.py"} <= set(names)
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    tfvars = json.loads((tmp_path / "a" / assemble_functions.TFVARS_FILE).read_text())
    assert tfvars == {"function_source_objects": {s.name: s.object_name for s in first}}


# --- provider schema check ---------------------------------------------------------------------

_FAKE_RESOURCE = """
function googleThingRetryToTerraform(struct) {
    if (!cdktf.canInspect(struct)) {
        return struct;
    }
    return {
        attempts: cdktf.numberToTerraform(struct.attempts),
    };
}
class GoogleThing extends cdktf.TerraformResource {
    get uri() {
        return this.getStringAttribute('uri');
    }
    synthesizeAttributes() {
        return {
            name: cdktf.stringToTerraform(this._name),
            retry: googleThingRetryToTerraform(this._retry.internalValue),
        };
    }
}
GoogleThing.tfResourceType = "google_thing";
"""


def _fake_wheel(path: Path) -> Path:
    package = io.BytesIO()
    with tarfile.open(fileobj=package, mode="w:gz") as tar:
        data = _FAKE_RESOURCE.encode()
        info = tarfile.TarInfo("package/lib/thing/index.js")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    wheel = path / "fake.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("cdktf/_jsii/provider@1.jsii.tgz", package.getvalue())
    return wheel


def test_the_schema_check_finds_unknown_arguments_blocks_and_attributes(tmp_path: Path) -> None:
    schema = check_terraform_schema.load_schema(_fake_wheel(tmp_path))
    assert schema["google_thing"].arguments == {"name": None, "retry": {"attempts": None}}
    (tmp_path / "main.tf").write_text(
        'resource "google_thing" "ok" {\n  name = "a"\n  retry {\n    attempts = 3\n  }\n}\n'
        'resource "google_thing" "bad" {\n  nme = "a"\n  retry {\n    attempt = 3\n  }\n}\n'
        'output "u" {\n  value = google_thing.ok.uri\n}\n'
        'output "v" {\n  value = google_thing.ok.url\n}\n'
    )
    problems, unchecked = check_terraform_schema.check(tmp_path, schema)
    assert sorted(problems) == [
        "main.tf: google_thing has no attribute url",
        "main.tf: google_thing.bad.retry: no argument attempt",
        "main.tf: google_thing.bad: no argument nme",
    ]
    assert unchecked == set()


# --- the Eventarc subscription policy script ---------------------------------------------------

SCRIPT = MODULE / "scripts" / "eventarc_subscription_policy.sh"
POLICY_ENV = {
    "TRIGGER": "projects/p/locations/europe-west1/triggers/preflight-123",
    "DEAD_LETTER_TOPIC": "projects/p/topics/run-requested--preflight-dlq",
    "MAX_DELIVERY_ATTEMPTS": "5",
    "MIN_BACKOFF_S": "1",
    "MAX_BACKOFF_S": "60",
    "ACK_DEADLINE_S": "60",
    "PUBSUB_AGENT": "service-1@gcp-sa-pubsub.iam.gserviceaccount.com",
}


def _fake_gcloud(tmp_path: Path) -> tuple[dict[str, str], Path]:
    calls = tmp_path / "calls"
    gcloud = tmp_path / "bin" / "gcloud"
    gcloud.parent.mkdir()
    gcloud.write_text(
        "#!/usr/bin/env bash\n"
        f'printf "%s\\n" "$*" >> {calls}\n'
        'if [ "$1 $2 $3" = "eventarc triggers describe" ]; then\n'
        '  echo "projects/p/subscriptions/eventarc-europe-west1-preflight-123-sub-456"\n'
        "fi\n"
    )
    gcloud.chmod(0o755)
    return {"PATH": f"{gcloud.parent}:{os.environ['PATH']}"}, calls


def test_the_script_gives_the_eventarc_subscription_the_declared_policy(tmp_path: Path) -> None:
    path, calls = _fake_gcloud(tmp_path)
    subprocess.run(
        ["bash", str(SCRIPT)], env={**path, **POLICY_ENV}, check=True, capture_output=True
    )
    describe, update, binding = calls.read_text().splitlines()
    assert describe.startswith(f"eventarc triggers describe {POLICY_ENV['TRIGGER']}")
    subscription = "projects/p/subscriptions/eventarc-europe-west1-preflight-123-sub-456"
    assert update.split() == [
        "pubsub", "subscriptions", "update", subscription,
        f"--dead-letter-topic={POLICY_ENV['DEAD_LETTER_TOPIC']}", "--max-delivery-attempts=5",
        "--min-retry-delay=1s", "--max-retry-delay=60s", "--ack-deadline=60", "--quiet",
    ]  # fmt: skip
    assert binding.split()[:4] == [
        "pubsub",
        "subscriptions",
        "add-iam-policy-binding",
        subscription,
    ]
    assert f"--member=serviceAccount:{POLICY_ENV['PUBSUB_AGENT']}" in binding.split()
    assert "--role=roles/pubsub.subscriber" in binding.split()


def test_the_script_refuses_to_run_without_its_inputs(tmp_path: Path) -> None:
    path, calls = _fake_gcloud(tmp_path)
    partial = {k: v for k, v in POLICY_ENV.items() if k != "DEAD_LETTER_TOPIC"}
    result = subprocess.run(
        ["bash", str(SCRIPT)], env={**path, **partial}, capture_output=True, text=True
    )
    assert result.returncode == 2 and "DEAD_LETTER_TOPIC" in result.stderr
    assert not calls.exists(), "gcloud was called"
