"""Switchyard's own services on the local stack, started exactly as they are deployed.

The pipeline functions run under functions-framework (as Cloud Functions 2nd gen does), the
API and the executor under gunicorn with threads (as their containers do). Each listens on the
port the provisioner already pointed its push subscription at. Locally, tools and deliveries may
reach 127.0.0.0/8 (``SWITCHYARD_EGRESS_ALLOWED_NETWORKS``) so the demo can serve the pages its
agent fetches and receive its webhooks; on Google Cloud nothing but public addresses is reachable.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from emulators import processes

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FUNCTIONS = ("preflight", "postgen", "deliver", "alert", "cron", "chain", "sweeper")
LOCAL_EGRESS = '["127.0.0.0/8"]'


@dataclass(frozen=True)
class Service:
    """One of Switchyard's processes.

    Attributes:
        name: ``api``, ``executor`` or a function name.
        command: Program and arguments, given its port.
        health_path: Path answering GET when ready, or None to wait for the port only.
    """

    name: str
    command: list[str]
    health_path: str | None

    def ready(self, host: str, port: int) -> bool:
        """True once the service answers."""
        if self.health_path is None:
            return processes.tcp_ready(host, port)
        return processes.http_ready(f"http://{host}:{port}{self.health_path}")


def _gunicorn(app: str, host: str, port: int, threads: int) -> list[str]:
    return [
        str(BIN / "gunicorn"), "--chdir", str(ROOT), "-k", "gthread", "-w", "1",
        "--threads", str(threads), "-b", f"{host}:{port}", "--graceful-timeout", "5", app,
    ]  # fmt: skip


def services(host: str, ports: dict[str, int]) -> list[tuple[Service, int]]:
    """Every service with its port; ``ports`` maps each service name to a free port."""
    listed = [
        Service("api", _gunicorn("cloudrun.api.main:app", host, ports["api"], 16), "/healthz"),
        Service(
            "executor",
            _gunicorn("cloudrun.executor.main:app", host, ports["executor"], 8),
            "/healthz",
        ),
    ]
    for name in FUNCTIONS:
        command = [
            str(BIN / "functions-framework"), "--target", name,
            "--source", str(ROOT / "functions" / name / "main.py"),
            "--signature-type", "cloudevent", "--host", host, "--port", str(ports[name]),
        ]  # fmt: skip
        listed.append(Service(name, command, None))
    return [(service, ports[service.name]) for service in listed]
