"""Audit events: one record per change made through the API (who changed what, and when).

Not the integration proxy's tool-call audit (:mod:`shared.ports.audit_log`, ``audit_logs``):
that one records what agents did; this one records what people and keys changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from shared.domain.base import Model
from shared.errors import ValidationError


class AuditEvent(Model):
    """One successful change.

    Attributes:
        event_id: Random id.
        org_id: The organisation the change was made in.
        actor: Who made it: ``api_key:<key_id>`` or ``user:<uid>``.
        action: What was done, ``<resource_type>.<verb>``, such as ``agent.created``,
            ``agent.environment_promoted``, ``api_key.revoked``.
        resource_type: ``agent``, ``run``, ``api_key``, ``credential``.
        resource_id: The changed resource's id.
        details: What changed, such as ``{"environment": "prod", "from_version": 2,
            "to_version": 3}``; never a secret.
        at: When the change was made (UTC).
    """

    schema_version: Literal[1] = 1
    event_id: str
    org_id: str
    actor: str
    action: str
    resource_type: str
    resource_id: str
    details: dict[str, Any] = Field(default_factory=dict)
    at: datetime


def check_filters(resource_type: str | None, resource_id: str | None) -> None:
    """Refuse a ``resource_id`` filter without its ``resource_type`` (ids are unique only
    within a type, and the store has an index per filter combination).

    Raises:
        ValidationError: Code ``resource_type_required``.
    """
    if resource_id is not None and resource_type is None:
        raise ValidationError(
            "resource_type_required",
            "filter by resource_type too when filtering by resource_id",
            errors=[{"field": "resource_type", "message": "required with resource_id"}],
        )
