"""InMemoryAuditLog: the AuditLog twin, entries in a dict by id."""

from __future__ import annotations

import threading

from shared.domain.credentials import AuditEntry
from shared.ports.audit_log import AuditLog


class InMemoryAuditLog(AuditLog):
    """Entries by ``audit_id``, in the order they were recorded."""

    def __init__(self) -> None:
        self._entries: dict[str, AuditEntry] = {}
        self._lock = threading.Lock()

    def record(self, entry: AuditEntry) -> None:
        """See :meth:`AuditLog.record`."""
        with self._lock:
            self._entries.setdefault(entry.audit_id, entry)

    def list_for_run(self, run_id: str) -> list[AuditEntry]:
        """See :meth:`AuditLog.list_for_run`."""
        with self._lock:
            found = [e for e in self._entries.values() if e.run_id == run_id]
        return sorted(found, key=lambda e: (e.created_at, e.step, e.call_index))

    def entries(self) -> list[AuditEntry]:
        """Every entry (tests search them all)."""
        with self._lock:
            return list(self._entries.values())
