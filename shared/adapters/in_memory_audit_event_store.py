"""InMemoryAuditEventStore: the AuditEventStore twin, for unit tests."""

from __future__ import annotations

import threading
from datetime import datetime

from shared.adapters.store_support import (
    check_page_size,
    decode_page_token,
    encode_page_token,
    make_page,
)
from shared.domain.agents import Page
from shared.domain.audit_events import AuditEvent, check_filters
from shared.errors import ConflictError
from shared.ports.audit_event_store import AuditEventStore


class InMemoryAuditEventStore(AuditEventStore):
    """Audit events in a dict, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, AuditEvent] = {}

    def record(self, event: AuditEvent) -> None:
        """See :meth:`AuditEventStore.record`.

        Raises:
            ConflictError: Code ``audit_event_exists``.
        """
        with self._lock:
            if event.event_id in self._events:
                raise ConflictError("audit_event_exists", f"audit event {event.event_id} exists")
            self._events[event.event_id] = event.model_copy(deep=True)

    def list_events(
        self,
        org_id: str,
        *,
        resource_type: str | None = None,
        resource_id: str | None = None,
        page_size: int = 50,
        page_token: str | None = None,
    ) -> Page[AuditEvent]:
        """See :meth:`AuditEventStore.list_events`.

        Raises:
            ValidationError: Code ``invalid_page_token``, ``invalid_page_size`` or
                ``resource_type_required``.
        """
        check_page_size(page_size)
        check_filters(resource_type, resource_id)
        after = (
            decode_page_token(page_token, "audit_events", datetime, str)
            if page_token is not None
            else None
        )
        with self._lock:
            events = sorted(
                (
                    event.model_copy(deep=True)
                    for event in self._events.values()
                    if event.org_id == org_id
                    and resource_type in (None, event.resource_type)
                    and resource_id in (None, event.resource_id)
                ),
                key=lambda event: (event.at, event.event_id),
                reverse=True,
            )
        if after is not None:
            events = [event for event in events if (event.at, event.event_id) < after]
        return make_page(
            events[: page_size + 1],
            page_size,
            lambda e: encode_page_token("audit_events", e.at, e.event_id),
        )
