"""What every tool gets and is: the call's context, and the tool's registry entry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from shared.domain.base import Model
from shared.settings import Settings
from shared.tools.safe_http import Fetched


class Proxy(Protocol):
    """What a tool may do with the network: :meth:`shared.proxy.gateway.ProxyCall.send`.

    (A protocol, so that importing the tool registry does not import the vault.)
    """

    def send(
        self,
        method: str,
        url: str,
        *,
        timeout_s: float,
        max_bytes: int,
        credential: str | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        check_hop: Callable[[httpx.URL], None] | None = None,
    ) -> Fetched:
        """Send one request (and its redirects) through the proxy."""
        ...

    def write_artifact(self, name: str, data: bytes, content_type: str) -> str:
        """Write an artifact under the agent's prefix; returns its ``gs://`` URI."""
        ...


@dataclass(frozen=True)
class ToolContext:
    """The context of one tool call.

    Attributes:
        config: The tool's validated configuration from the agent spec.
        proxy: The integration proxy: the only way a tool reaches the network
            (:meth:`shared.proxy.gateway.ProxyCall.send`, which adds the idempotency key,
            injects credentials named by id, and refuses what the grants and egress rules do
            not allow).
        idempotency_key: Stable key of this call, derived from (run_id, step, call).
        permissions: The spec's ``permissions`` (e.g. ``{"slack": ["write:channels:#x"]}``).
        settings: Configuration (e.g. ``slack_api_base_url``).
    """

    config: Model
    proxy: Proxy
    idempotency_key: str
    settings: Settings
    permissions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Tool:
    """A registry entry.

    Attributes:
        name: Tool name used in specs and by the model.
        description: What the model is told it does.
        parameters: JSON Schema of its arguments.
        run: ``run(context, args) -> result object``; raises the error tree.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    run: Callable[[ToolContext, dict[str, Any]], dict[str, Any]] = field(repr=False)
