"""FirestoreAuditLog: the proxy's audit entries in the ``audit_logs`` collection.

One document per entry, created once (its id is derived from the call and attempt, so a
duplicate task writes the same document); entries are never updated.
"""

from __future__ import annotations

import contextlib

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from shared.adapters.firestore_support import (
    DocumentCodec,
    FirestoreIndex,
    firestore_errors,
    snapshot_data,
)
from shared.domain.credentials import AuditEntry
from shared.ports.audit_log import AuditLog
from shared.resources import AUDIT_LOGS

# list_for_run filters on run_id alone and sorts in memory (a run has a few dozen calls).
FIRESTORE_INDEXES: tuple[FirestoreIndex, ...] = ()

_ENTRY = DocumentCodec(AuditEntry)


class FirestoreAuditLog(AuditLog):
    """Audit entries in Firestore.

    Every method raises :class:`TransientError` (code ``firestore_unavailable``) when Firestore
    fails in a way a retry may fix.

    Args:
        client: Firestore client (of the emulator when ``FIRESTORE_EMULATOR_HOST`` is set).
    """

    def __init__(self, client: firestore.Client) -> None:
        self._collection = client.collection(AUDIT_LOGS)

    @firestore_errors()
    def record(self, entry: AuditEntry) -> None:
        """See :meth:`AuditLog.record`."""
        # AlreadyExists: a duplicate task's copy of the same entry.
        with contextlib.suppress(AlreadyExists):
            self._collection.document(entry.audit_id).create(_ENTRY.encode(entry))

    @firestore_errors()
    def list_for_run(self, run_id: str) -> list[AuditEntry]:
        """See :meth:`AuditLog.list_for_run`."""
        query = self._collection.where(filter=firestore.FieldFilter("run_id", "==", run_id))
        found = [_ENTRY.decode(snapshot_data(s)) for s in query.stream()]
        return sorted(found, key=lambda e: (e.created_at, e.step, e.call_index))
