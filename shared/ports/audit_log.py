"""AuditLog: one entry per tool call (Firestore ``audit_logs`` in production)."""

from __future__ import annotations

import abc

from shared.domain.credentials import AuditEntry


class AuditLog(abc.ABC):
    """Append-only record of what the integration proxy allowed and refused."""

    @abc.abstractmethod
    def record(self, entry: AuditEntry) -> None:
        """Append ``entry`` (storing the same ``audit_id`` twice keeps one).

        Raises:
            TransientError: The store is unavailable.
        """

    @abc.abstractmethod
    def list_for_run(self, run_id: str) -> list[AuditEntry]:
        """A run's entries, oldest first."""
