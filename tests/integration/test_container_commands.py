"""Each Cloud Run image's start command, run without Docker as the same command line.

For each ``cloudrun/<service>/Dockerfile``, the image's ``/app`` is rebuilt in a temporary folder
from its COPY instructions (with ``build/requirements.txt`` written by ``deploy.requirements``,
as Cloud Build does), its packages are a clean virtualenv built from that requirements file (the
image's ``pip install -r``), and its CMD runs there unchanged, with the image's ENV, the local
stack's environment and ``PORT`` set as Cloud Run sets it. The service must then answer its
health check route, and the image's HEALTHCHECK command must pass; the API must also pass the
deploy's smoke test (``deploy.smoke``). Not reproduced: the image's non-root user.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deploy.requirements import runtime_requirements
from deploy.smoke import run_checks
from emulators import processes
from shared.settings import Settings
from tests.dockerfile_model import DOCKERFILES, ROOT, Dockerfile, parse
from tests.integration.deployables import clean_virtualenv, deployed_env, started


@pytest.fixture(scope="module")
def requirements(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("build") / "requirements.txt"
    path.write_text(runtime_requirements())
    return path


def _stage_app(dockerfile: Dockerfile, requirements: Path, app: Path) -> None:
    for sources, destination in dockerfile.copies:
        assert len(sources) == 1 and not destination.endswith("/"), "one source, named target"
        origin = requirements if sources[0] == "build/requirements.txt" else ROOT / sources[0]
        target = app / destination.removeprefix("./")
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, target)


@pytest.fixture(scope="module", params=sorted(DOCKERFILES))
def container(
    request: pytest.FixtureRequest,
    stack: Settings,
    requirements: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Dockerfile, dict[str, str], int]]:
    service: str = request.param
    dockerfile = parse(DOCKERFILES[service])
    app = tmp_path_factory.mktemp(service) / "app"
    _stage_app(dockerfile, requirements, app)
    venv = clean_virtualenv(requirements)
    port = processes.free_port()
    env = deployed_env(
        {
            **dockerfile.env,
            "PORT": str(port),
            "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        }
    )
    log = app.parent / f"{service}.log"
    with started(dockerfile.cmd, app, env, log, ready=f"http://127.0.0.1:{port}/healthz"):
        yield service, dockerfile, env, port


def test_the_image_copies_its_service_and_the_shared_package(
    container: tuple[str, Dockerfile, dict[str, str], int],
) -> None:
    service, dockerfile, _env, _port = container
    copied = {source for sources, _ in dockerfile.copies for source in sources}
    assert {"shared", f"cloudrun/{service}", "build/requirements.txt"} <= copied


def test_the_start_command_serves_the_health_route(
    container: tuple[str, Dockerfile, dict[str, str], int],
) -> None:
    service, _dockerfile, _env, port = container
    response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    if service == "api":  # and the deploy's smoke test passes against it
        passed = run_checks(f"http://127.0.0.1:{port}", wait_s=10)
        assert passed == ["GET /healthz: 200 ok", "GET /v1/agents without a key: 401 problem+json"]


def test_the_image_health_check_passes(
    container: tuple[str, Dockerfile, dict[str, str], int],
) -> None:
    _service, dockerfile, env, _port = container
    result = subprocess.run(
        dockerfile.healthcheck, env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
