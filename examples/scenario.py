"""What the demo and the end-to-end tests share: the example agents, the outside world they talk
to (product pages, a webhook receiver that verifies signatures, an alerts receiver), and a small
client of the Switchyard API.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from httpx_sse import connect_sse
from standardwebhooks import Webhook, WebhookVerificationError

from emulators.http_receiver import HttpReceiver, ReceivedRequest, serve
from emulators.vertex.admin_client import register_script
from emulators.vertex.script import Script

EXAMPLES = Path(__file__).resolve().parent
PRICE_MONITOR = EXAMPLES / "price-monitor"
SUPPORT_REPLY_GATE = EXAMPLES / "support-reply-gate"

PAGES = {
    "/competitor-a/widget": "<html><h1>Widget</h1><p class=price>19.99 EUR</p></html>",
    "/competitor-b/widget": "<html><h1>Widget</h1><p class=price>17.49 EUR</p></html>",
}


def _serve_pages(request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
    page = PAGES.get(request.path)
    if page is None:
        return 404, {"content-type": "text/plain"}, b"not found"
    return 200, {"content-type": "text/html; charset=utf-8"}, page.encode()


@dataclass
class OutsideWorld:
    """Local stand-ins for what agents reach: pages, a webhook target, an alerts target.

    Attributes:
        signing_secret: The organisation's Standard Webhooks secret (``whsec_...``).
        pages: Serves :data:`PAGES`.
        webhooks: Receives deliveries; answers 401 to a bad signature.
        alerts: Receives alerts; answers 401 to a bad signature.
        verified: ``webhook-id`` of every request whose signature verified.
    """

    signing_secret: str
    pages: HttpReceiver = field(default_factory=lambda: HttpReceiver(responder=_serve_pages))
    webhooks: HttpReceiver = field(default_factory=HttpReceiver)
    alerts: HttpReceiver = field(default_factory=HttpReceiver)
    verified: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.webhooks.responder = self._verify
        self.alerts.responder = self._verify

    def _verify(self, request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
        try:
            Webhook(self.signing_secret).verify(request.body, request.headers)
        except WebhookVerificationError:
            return 401, {}, b"bad signature"
        self.verified.append(request.headers["webhook-id"])
        return 204, {}, b""

    def variables(self) -> dict[str, str]:
        """Template variables of the example files."""
        return {
            "PAGES_URL": self.pages.url,
            "WEBHOOK_URL": f"{self.webhooks.url}/hooks/switchyard",
            "ALERTS_URL": f"{self.alerts.url}/alerts",
        }


@contextmanager
def outside_world(signing_secret: str) -> Iterator[OutsideWorld]:
    """Serve the three stand-ins on free loopback ports for the duration of the block."""
    world = OutsideWorld(signing_secret)
    with ExitStack() as stack:
        for receiver in (world.pages, world.webhooks, world.alerts):
            stack.enter_context(serve(receiver))
        yield world


def render(path: Path, variables: dict[str, str]) -> str:
    """The example file at ``path`` with ``${NAME}`` variables filled in."""
    return string.Template(path.read_text()).substitute(variables)


def register_model_script(vertex_base_url: str, example: Path, variables: dict[str, str]) -> None:
    """Give the Gemini emulator the example's model script."""
    script = Script.model_validate(yaml.safe_load(render(example / "model-script.yaml", variables)))
    register_script(vertex_base_url, script)


@dataclass
class ApiClient:
    """The few Switchyard API calls the demo makes (the SDK of issue 7 will replace this).

    Attributes:
        base_url: The API's base URL.
        api_key: A ``sy_live_...`` key.
    """

    base_url: str
    api_key: str

    def _client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=30.0,
        )

    def create_agent(self, spec_yaml: str) -> dict[str, Any]:
        """``POST /v1/agents`` with a YAML spec; returns the response JSON."""
        with self._client() as client:
            response = client.post(
                "/v1/agents", content=spec_yaml, headers={"Content-Type": "application/yaml"}
            )
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def start_run(self, agent_id: str, run_input: dict[str, Any]) -> dict[str, Any]:
        """``POST /v1/agents/{id}/runs``; returns the run (202)."""
        with self._client() as client:
            response = client.post(f"/v1/agents/{agent_id}/runs", json={"input": run_input})
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def get(self, path: str) -> dict[str, Any]:
        """``GET path``; returns the response JSON."""
        with self._client() as client:
            response = client.get(path)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def events(self, run_id: str, timeout_s: float = 120.0) -> Iterator[tuple[str, dict[str, Any]]]:
        """Stream ``GET /v1/runs/{id}/events`` (SSE) as ``(event_type, event_data)`` to the end.

        Each SSE ``data`` is a run event (``seq``, ``type``, ``at``, ``data``); this yields its
        type and its own ``data`` (an error event's body as it is).
        """
        with (
            self._client() as client,
            connect_sse(client, "GET", f"/v1/runs/{run_id}/events", timeout=timeout_s) as source,
        ):
            for event in source.iter_sse():
                body = json.loads(event.data) if event.data else {}
                yield event.event, body.get("data", body)
