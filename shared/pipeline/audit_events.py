"""Recording changes in the audit log, and why a lost record does not undo a change.

The API records a change after making it (:mod:`cloudrun.api.audit`). When the record cannot
be stored, the change stands (it was made and answered); the event is logged at ERROR level
with all it holds, so that Cloud Logging keeps it and it can be stored later.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.composition import Dependencies
from shared.domain.audit_events import AuditEvent
from shared.errors import SwitchyardError
from shared.pipeline.trigger import new_id

logger = logging.getLogger(__name__)


def record_change(
    deps: Dependencies,
    *,
    org_id: str,
    actor: str,
    action: str,
    resource_type: str,
    resource_id: str,
    details: dict[str, Any],
) -> AuditEvent:
    """Store one audit event for a change just made.

    Args:
        deps: Dependencies.
        org_id: The organisation the change was made in.
        actor: Who made it (``api_key:<key_id>``, ``user:<uid>``).
        action: ``<resource_type>.<verb>`` (``agent.environment_promoted``).
        resource_type: ``agent``, ``run``, ``api_key``, ``credential``.
        resource_id: The changed resource.
        details: JSON-ready facts about the change; never a secret.

    Returns:
        The event, stored or (when the store failed) logged at ERROR level.
    """
    event = AuditEvent(
        event_id=new_id(),
        org_id=org_id,
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        details=details,
        at=deps.clock(),
    )
    try:
        deps.audit_events.record(event)
    except SwitchyardError as error:
        logger.error(
            "audit event not stored (%s): %s",
            error.code,
            event.model_dump_json(),
            extra={"json_fields": {"audit_event": event.model_dump(mode="json")}},
        )
    return event
