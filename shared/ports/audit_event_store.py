"""AuditEventStore: the log of changes made through the API, per organisation."""

from __future__ import annotations

import abc

from shared.domain.agents import Page
from shared.domain.audit_events import AuditEvent


class AuditEventStore(abc.ABC):
    """Append-only; every read takes the caller's ``org_id`` and sees only its events."""

    @abc.abstractmethod
    def record(self, event: AuditEvent) -> None:
        """Store ``event`` (its ``event_id`` is new; events are never changed).

        Raises:
            ConflictError: Code ``audit_event_exists``: an event with that id is stored.
        """

    @abc.abstractmethod
    def list_events(
        self,
        org_id: str,
        *,
        resource_type: str | None = None,
        resource_id: str | None = None,
        page_size: int = 50,
        page_token: str | None = None,
    ) -> Page[AuditEvent]:
        """The organisation's events, newest first (same instant: by id, descending).

        Args:
            org_id: The caller's organisation.
            resource_type: Only events about this type of resource (``agent``, ``api_key``).
            resource_id: Only events about this resource; needs ``resource_type``.
            page_size: Events per page, 1 to 1000.
            page_token: The previous page's ``next_page_token``.

        Raises:
            ValidationError: Code ``invalid_page_token``, ``invalid_page_size``, or
                ``resource_type_required`` (``resource_id`` without ``resource_type``).
        """
