"""FirestoreAuditEventStore: the change log in the ``audit_events`` collection.

One document per event, under its random id, created and never updated. Listing filters on
``org_id`` (and ``resource_type``, ``resource_id``) and orders by ``at`` then document id,
both descending: the composite indexes below.
"""

from __future__ import annotations

from datetime import datetime

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from shared.adapters.firestore_support import (
    DocumentCodec,
    FirestoreIndex,
    firestore_errors,
    snapshot_data,
)
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
from shared.resources import AUDIT_EVENTS

FIRESTORE_INDEXES = (
    FirestoreIndex(AUDIT_EVENTS, (("org_id", "ASCENDING"), ("at", "DESCENDING"))),
    FirestoreIndex(
        AUDIT_EVENTS,
        (("org_id", "ASCENDING"), ("resource_type", "ASCENDING"), ("at", "DESCENDING")),
    ),
    FirestoreIndex(
        AUDIT_EVENTS,
        (
            ("org_id", "ASCENDING"),
            ("resource_type", "ASCENDING"),
            ("resource_id", "ASCENDING"),
            ("at", "DESCENDING"),
        ),
    ),
)

_EVENT = DocumentCodec(AuditEvent, json_fields=("details",))


class FirestoreAuditEventStore(AuditEventStore):
    """Audit events in Firestore.

    Besides the errors each method names, every method raises :class:`TransientError` (code
    ``firestore_unavailable``) when Firestore fails in a way a retry may fix.

    Args:
        client: Firestore client (of the emulator when ``FIRESTORE_EMULATOR_HOST`` is set).
    """

    def __init__(self, client: firestore.Client) -> None:
        self._events = client.collection(AUDIT_EVENTS)

    @firestore_errors()
    def record(self, event: AuditEvent) -> None:
        """See :meth:`AuditEventStore.record`.

        Raises:
            ConflictError: Code ``audit_event_exists``.
        """
        try:
            self._events.document(event.event_id).create(_EVENT.encode(event))
        except AlreadyExists:
            raise ConflictError(
                "audit_event_exists", f"audit event {event.event_id} exists"
            ) from None

    @firestore_errors()
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
        query = self._events.where(filter=firestore.FieldFilter("org_id", "==", org_id))
        for field, value in (("resource_type", resource_type), ("resource_id", resource_id)):
            if value is not None:
                query = query.where(filter=firestore.FieldFilter(field, "==", value))
        query = query.order_by("at", direction=firestore.Query.DESCENDING).order_by(
            "__name__", direction=firestore.Query.DESCENDING
        )
        if page_token is not None:
            at, event_id = decode_page_token(page_token, "audit_events", datetime, str)
            query = query.start_after({"at": at, "__name__": event_id})
        events = [_EVENT.decode(snapshot_data(s)) for s in query.limit(page_size + 1).stream()]
        return make_page(
            events, page_size, lambda e: encode_page_token("audit_events", e.at, e.event_id)
        )
