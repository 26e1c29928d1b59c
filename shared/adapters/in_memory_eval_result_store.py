"""InMemoryEvalResultStore: the EvalResultStore twin, for unit tests."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from shared.domain.eval_results import EvalRecord
from shared.ports.eval_result_store import EvalResultStore


class InMemoryEvalResultStore(EvalResultStore):
    """Records in a dict under one lock, ordered as the Firestore adapter's queries order them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, EvalRecord] = {}

    def record_results(self, records: Sequence[EvalRecord]) -> None:
        """See :meth:`EvalResultStore.record_results`."""
        with self._lock:
            self._records.update((r.record_id, r.model_copy(deep=True)) for r in records)

    def list_run_results(self, run_id: str) -> list[EvalRecord]:
        """See :meth:`EvalResultStore.list_run_results`."""
        with self._lock:
            found = [r for r in self._records.values() if r.run_id == run_id]
        return sorted(found, key=lambda r: (r.created_at, r.name))

    def list_agent_results(
        self, org_id: str, agent_id: str, since: datetime, limit: int = 10_000
    ) -> list[EvalRecord]:
        """See :meth:`EvalResultStore.list_agent_results`."""
        with self._lock:
            found = [
                r
                for r in self._records.values()
                if r.org_id == org_id and r.agent_id == agent_id and r.created_at >= since
            ]
        found.sort(key=lambda r: (r.created_at, r.record_id), reverse=True)
        return found[:limit]
