"""The local stack: every Google service Switchyard uses, started on free ports on 127.0.0.1.

``up`` starts each emulator in its own process group, waits until each answers, provisions the
resources of :mod:`shared.resources`, and records pids, ports and the environment in a state
directory (``.stack/`` by default). ``down`` stops every process group recorded there. The
environment it exports is the only thing the application needs to find the emulators:
Google's own variables where Google defines one (``PUBSUB_EMULATOR_HOST``, ...), Switchyard
settings (``SWITCHYARD_*``) elsewhere.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from emulators import firebase_auth, processes, services
from shared.resources import SUBSCRIPTIONS

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
PROJECT_ID = (
    "demo-switchyard"  # the demo- prefix keeps every Google tool from touching a real project
)
READY_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class Component:
    """One emulator of the stack.

    Attributes:
        name: Short name, used for its log file and state entry.
        command: ``command(port, data_dir)`` gives the program and arguments.
        exports: ``exports(port)`` gives the environment variables that point clients at it.
        ready: ``ready(port)`` is True once it serves requests.
    """

    name: str
    command: Callable[[int, Path], list[str]]
    exports: Callable[[int], dict[str, str]]
    ready: Callable[[int], bool]


def _python_module(module: str) -> Callable[[int, Path], list[str]]:
    return lambda port, _data: [sys.executable, "-m", module, "--host", HOST, "--port", str(port)]


def _tcp(port: int) -> bool:
    return processes.tcp_ready(HOST, port)


COMPONENTS: tuple[Component, ...] = (
    Component(
        "pubsub",
        lambda port, data: [
            "gcloud",
            "beta",
            "emulators",
            "pubsub",
            "start",
            f"--host-port={HOST}:{port}",
            f"--project={PROJECT_ID}",
            f"--data-dir={data}",
        ],
        lambda port: {"PUBSUB_EMULATOR_HOST": f"{HOST}:{port}"},
        lambda port: processes.http_ready(f"http://{HOST}:{port}/"),
    ),
    Component(
        "firestore",
        lambda port, _data: [
            "gcloud",
            "emulators",
            "firestore",
            "start",
            f"--host-port={HOST}:{port}",
        ],
        lambda port: {"FIRESTORE_EMULATOR_HOST": f"{HOST}:{port}"},
        lambda port: processes.http_ready(f"http://{HOST}:{port}/"),
    ),
    Component(
        "storage",
        lambda port, _data: [
            str(Path(sys.executable).parent / "gcp-storage-emulator"),
            "start",
            f"--host={HOST}",
            f"--port={port}",
            "--in-memory",
        ],
        lambda port: {"STORAGE_EMULATOR_HOST": f"http://{HOST}:{port}"},
        _tcp,
    ),
    Component(
        "cloud_tasks",
        _python_module("emulators.cloud_tasks"),
        lambda port: {"SWITCHYARD_CLOUD_TASKS_EMULATOR_HOST": f"{HOST}:{port}"},
        _tcp,
    ),
    Component(
        "secret_manager",
        _python_module("emulators.secret_manager"),
        lambda port: {"SWITCHYARD_SECRET_MANAGER_EMULATOR_HOST": f"{HOST}:{port}"},
        _tcp,
    ),
    Component(
        "scheduler",
        _python_module("emulators.scheduler"),
        lambda port: {"SWITCHYARD_SCHEDULER_EMULATOR_HOST": f"{HOST}:{port}"},
        _tcp,
    ),
    Component(
        "vertex",
        _python_module("emulators.vertex"),
        lambda port: {"SWITCHYARD_VERTEX_BASE_URL": f"http://{HOST}:{port}"},
        lambda port: processes.http_ready(f"http://{HOST}:{port}/healthz"),
    ),
    Component(
        "firebase_auth",
        lambda port, data: firebase_auth.command(HOST, port, PROJECT_ID, data / "firebase_auth"),
        lambda port: {"FIREBASE_AUTH_EMULATOR_HOST": f"{HOST}:{port}"},
        partial(firebase_auth.ready, HOST),
    ),
)


def _state_file(state_dir: Path) -> Path:
    return state_dir / "state.json"


def read_state(state_dir: Path) -> dict[str, object] | None:
    """The recorded state of the stack in ``state_dir``, or None when none is recorded."""
    path = _state_file(state_dir)
    if not path.exists():
        return None
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def service_ports() -> dict[str, int]:
    """A free local port for the API and each pipeline consumer (``preflight``, ``executor``...)."""
    names = {"api", *(subscription.consumer for subscription in SUBSCRIPTIONS)}
    return {name: processes.free_port() for name in sorted(names)}


def _start(
    name: str,
    command: list[str],
    env: Mapping[str, str],
    state_dir: Path,
    pgids: dict[str, int],
    state: dict[str, object],
) -> int:
    pgids[name] = processes.start_process(command, env, state_dir / "logs" / f"{name}.log")
    _state_file(state_dir).write_text(json.dumps(state, indent=2))
    return pgids[name]


def _wait(name: str, ready: Callable[[], bool], pgid: int, state_dir: Path) -> None:
    processes.wait_until(
        ready,
        READY_TIMEOUT_S,
        alive=lambda: processes.group_alive(pgid),
        what=f"{name} (log: {state_dir}/logs/{name}.log)",
    )


def up(
    state_dir: Path,
    base_env: Mapping[str, str],
    with_services: bool = True,
    task_dispatch_copies: int = 1,
    task_dispatch_concurrent: bool = False,
) -> dict[str, str]:
    """Start every emulator, provision the resources, start Switchyard's services, record it all.

    Args:
        state_dir: Directory for the state file, logs and emulator data.
        base_env: Environment the processes inherit (usually the caller's).
        with_services: Also start the API, the executor and the four functions.
        task_dispatch_copies: Requests the Cloud Tasks emulator sends per attempt; more than 1
            injects duplicate deliveries (its ``--duplicate-dispatches``).
        task_dispatch_concurrent: Send those copies at the same time rather than one after
            another (its ``--duplicate-dispatch-mode concurrent``).

    Returns:
        The environment variables that point Google clients and Switchyard at the stack.

    Raises:
        ValueError: When ``task_dispatch_copies`` is less than 1.
        RuntimeError: When a stack is already recorded in ``state_dir``, or an emulator died.
        TimeoutError: When an emulator was not ready in time.
    """
    if task_dispatch_copies < 1:
        raise ValueError(f"task_dispatch_copies must be at least 1, not {task_dispatch_copies}")
    if read_state(state_dir):
        raise RuntimeError(f"a stack is already running from {state_dir}; run `down` first")
    (state_dir / "data").mkdir(parents=True, exist_ok=True)
    ports = {component.name: processes.free_port() for component in COMPONENTS}
    consumers = service_ports()
    exports: dict[str, str] = {"GOOGLE_CLOUD_PROJECT": PROJECT_ID}
    for component in COMPONENTS:
        exports.update(component.exports(ports[component.name]))
    exports["SWITCHYARD_EXECUTOR_URL"] = f"http://{HOST}:{consumers['executor']}"
    exports["SWITCHYARD_API_URL"] = f"http://{HOST}:{consumers['api']}"
    env = {**base_env, **exports}
    pgids: dict[str, int] = {}
    state = {"pgids": pgids, "ports": ports, "service_ports": consumers, "env": exports}
    try:
        for component in COMPONENTS:
            command = component.command(ports[component.name], state_dir / "data")
            if component.name == "cloud_tasks":
                mode = "concurrent" if task_dispatch_concurrent else "sequential"
                command += ["--duplicate-dispatches", str(task_dispatch_copies)]
                command += ["--duplicate-dispatch-mode", mode]
            _start(component.name, command, env, state_dir, pgids, state)
        for component in COMPONENTS:
            port = ports[component.name]
            _wait(component.name, partial(component.ready, port), pgids[component.name], state_dir)
        _provision(env, consumers, state_dir)
        if with_services:
            service_env = {**env, "SWITCHYARD_EGRESS_ALLOWED_NETWORKS": services.LOCAL_EGRESS}
            started = services.services(HOST, consumers)
            for service, _port in started:
                _start(service.name, service.command, service_env, state_dir, pgids, state)
            for service, port in started:
                ready = partial(service.ready, HOST, port)
                _wait(service.name, ready, pgids[service.name], state_dir)
    except BaseException:
        down(state_dir)
        raise
    return exports


def _provision(env: Mapping[str, str], consumers: Mapping[str, int], state_dir: Path) -> None:
    # A child process, because Google's clients read their emulator variables from os.environ.
    endpoints = [f"--endpoint={name}=http://{HOST}:{port}" for name, port in consumers.items()]
    result = subprocess.run(
        [sys.executable, "-m", "emulators.provision", *endpoints],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    (state_dir / "logs" / "provision.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"provisioning failed:\n{result.stderr[-4000:]}")


def down(state_dir: Path) -> list[str]:
    """Stop every process group recorded in ``state_dir`` and forget the state.

    Returns:
        Names of the components that were stopped.
    """
    state = read_state(state_dir)
    if not state:
        return []
    pgids: dict[str, int] = state["pgids"]  # type: ignore[assignment]
    for pgid in pgids.values():
        processes.stop_group(pgid)
    _state_file(state_dir).unlink(missing_ok=True)
    return list(pgids)


def restart_service(state_dir: Path, name: str, base_env: Mapping[str, str]) -> None:
    """Crash one of Switchyard's services and start it again: for fault tests.

    Its whole process group gets SIGKILL (no shutdown handler runs, in-flight requests are cut),
    then the same command starts on the same port and this waits until it answers.

    Args:
        state_dir: The running stack's state directory.
        name: ``api``, ``executor`` or a function name.
        base_env: Environment the new process inherits (the stack's exports are added).

    Raises:
        RuntimeError: No stack is recorded in ``state_dir``, or the service died starting.
        KeyError: The stack has no service ``name``.
        TimeoutError: The service was not ready in time.
    """
    state = read_state(state_dir)
    if not state:
        raise RuntimeError(f"no stack is running from {state_dir}")
    pgids: dict[str, int] = state["pgids"]  # type: ignore[assignment]
    exports: dict[str, str] = state["env"]  # type: ignore[assignment]
    ports: dict[str, int] = state["service_ports"]  # type: ignore[assignment]
    service, port = {s.name: (s, p) for s, p in services.services(HOST, ports)}[name]
    processes.kill_group(pgids[name])
    env = {**base_env, **exports, "SWITCHYARD_EGRESS_ALLOWED_NETWORKS": services.LOCAL_EGRESS}
    _start(name, service.command, env, state_dir, pgids, state)
    _wait(name, partial(service.ready, HOST, port), pgids[name], state_dir)


def status(state_dir: Path) -> dict[str, bool]:
    """Whether each recorded component answers its readiness probe right now."""
    state = read_state(state_dir)
    if not state:
        return {}
    ports: dict[str, int] = state["ports"]  # type: ignore[assignment]
    return {c.name: c.ready(ports[c.name]) for c in COMPONENTS if c.name in ports}
