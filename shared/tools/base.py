"""What every tool gets and is: the call's context, and the tool's registry entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.domain.base import Model
from shared.tools.egress import IPNetwork, check_destination


@dataclass(frozen=True)
class ToolContext:
    """The context of one tool call.

    Attributes:
        config: The tool's validated configuration from the agent spec.
        http: Shared HTTP client (no default timeout is relied on: tools pass their own).
        idempotency_key: Stable key of this call, derived from (run_id, step, call), sent to
            targets that honour ``Idempotency-Key``.
        allowed_networks: Non-public networks the operator allowed.
    """

    config: Model
    http: httpx.Client
    idempotency_key: str
    allowed_networks: tuple[IPNetwork, ...] = ()

    def check_destination(self, url: str) -> None:
        """Refuse non-public destinations; see :func:`shared.tools.egress.check_destination`."""
        check_destination(url, self.allowed_networks)


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
