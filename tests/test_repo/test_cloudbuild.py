"""cloudbuild.yaml is well formed for Cloud Build and consistent with the Terraform it applies."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from deploy.assemble_functions import TFVARS_FILE
from tests.dockerfile_model import DOCKERFILES
from tests.test_repo import terraform_model as tf

BUILD = tf.ROOT / "cloudbuild.yaml"
BUILT_INS = {"PROJECT_ID", "BUILD_ID", "PROJECT_NUMBER", "LOCATION", "SHORT_SHA", "COMMIT_SHA"}


@pytest.fixture(scope="module")
def build() -> dict[str, Any]:
    return yaml.safe_load(BUILD.read_text())  # type: ignore[no-any-return]


def _steps(build: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["id"]: step for step in build["steps"]}


def _script(step: dict[str, Any]) -> str:
    return "\n".join(tf.all_strings(step))


def test_substitutions_are_declared_and_used(build: dict[str, Any]) -> None:
    text = BUILD.read_text()
    # Cloud Build substitutes $NAME and ${NAME} itself; the shell's own variables are written $$.
    used = set(re.findall(r"(?<!\$)\$\{?([A-Za-z_][A-Za-z0-9_]*)", text))
    declared = set(build["substitutions"])
    assert used - BUILT_INS == declared, "a substitution is undeclared, or declared but unused"
    assert all(name.startswith("_") for name in declared)


def test_steps_run_in_the_documented_order(build: dict[str, Any]) -> None:
    steps = _steps(build)
    assert list(steps) == [
        "lint", "test", "scan", "assemble", "build-images", "upload-functions", "deploy",
        "smoke-test",
    ]  # fmt: skip
    for step in steps.values():
        assert set(step.get("waitFor", [])) <= set(steps), step["id"]
    assert {"test", "scan"} <= set(steps["assemble"]["waitFor"]), "nothing ships untested"
    assert set(steps["deploy"]["waitFor"]) == {"build-images", "upload-functions"}
    assert "make test" in _script(steps["test"]) and "make lint" in _script(steps["lint"])


def test_every_image_is_built_pushed_and_deployed(build: dict[str, Any]) -> None:
    steps = _steps(build)
    script = _script(steps["build-images"])
    services = re.search(r"for service in ([a-z ]+); do", script)
    assert services and set(services.group(1).split()) == set(DOCKERFILES)
    assert "cloudrun/$$service/Dockerfile" in script and "docker push" in script
    deploy = _script(steps["deploy"])
    for service in DOCKERFILES:
        assert f'-var="{service}_image=$$(cat /workspace/build/{service}_image)"' in deploy


def test_the_deploy_passes_what_the_environment_roots_declare(build: dict[str, Any]) -> None:
    deploy = _script(_steps(build)["deploy"])
    passed = set(re.findall(r'-var="(\w+)=', deploy))
    assert f"-var-file=/workspace/build/functions/{TFVARS_FILE}" in deploy
    for name, root in tf.environments().items():
        required = {v for v, body in root.variables.items() if "default" not in body}
        assert required <= passed | {"function_source_objects"}, name
        assert passed <= set(root.variables), name
    assert "python -m deploy.assemble_functions --zip" in _script(_steps(build)["assemble"])
    assert "terraform output -raw api_url" in deploy
