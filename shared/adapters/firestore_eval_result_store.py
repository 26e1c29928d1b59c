"""FirestoreEvalResultStore: eval verdicts in the ``eval_results`` collection.

One document per (run, gate, eval), its id :func:`eval_record_id`, so a redelivered gate
overwrites its verdicts. Per-assertion detail (grader requests and replies included) and metric
scores are JSON text, as other arbitrary JSON is (:mod:`shared.adapters.firestore_support`). An
agent's pass rates are aggregated from a query over its verdicts by time, never from a counter
document that every run would write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from google.cloud import firestore

from shared.adapters.firestore_support import (
    DocumentCodec,
    FirestoreIndex,
    firestore_errors,
    snapshot_data,
)
from shared.domain.eval_results import EvalRecord
from shared.ports.eval_result_store import EvalResultStore
from shared.resources import EVAL_RESULTS

# list_run_results filters on run_id alone and sorts in memory (a run has a handful of evals);
# list_agent_results filters on org_id and agent_id over a range of created_at.
FIRESTORE_INDEXES: tuple[FirestoreIndex, ...] = (
    FirestoreIndex(
        EVAL_RESULTS,
        (("org_id", "ASCENDING"), ("agent_id", "ASCENDING"), ("created_at", "DESCENDING")),
    ),
)

_RECORD = DocumentCodec(EvalRecord, json_fields=("assertions", "named_scores"))
# Firestore commits at most 500 writes per batch.
_BATCH = 500


class FirestoreEvalResultStore(EvalResultStore):
    """Verdicts in Firestore.

    Every method raises :class:`TransientError` (code ``firestore_unavailable``) when Firestore
    fails in a way a retry may fix.

    Args:
        client: Firestore client (of the emulator when ``FIRESTORE_EMULATOR_HOST`` is set).
    """

    def __init__(self, client: firestore.Client) -> None:
        self._collection = client.collection(EVAL_RESULTS)
        self._client = client

    @firestore_errors()
    def record_results(self, records: Sequence[EvalRecord]) -> None:
        """See :meth:`EvalResultStore.record_results`."""
        for start in range(0, len(records), _BATCH):
            batch = self._client.batch()
            for record in records[start : start + _BATCH]:
                batch.set(self._collection.document(record.record_id), _RECORD.encode(record))
            batch.commit()

    @firestore_errors()
    def list_run_results(self, run_id: str) -> list[EvalRecord]:
        """See :meth:`EvalResultStore.list_run_results`."""
        query = self._collection.where(filter=firestore.FieldFilter("run_id", "==", run_id))
        found = [_RECORD.decode(snapshot_data(s)) for s in query.stream()]
        return sorted(found, key=lambda r: (r.created_at, r.name))

    @firestore_errors()
    def list_agent_results(
        self, org_id: str, agent_id: str, since: datetime, limit: int = 10_000
    ) -> list[EvalRecord]:
        """See :meth:`EvalResultStore.list_agent_results`."""
        query = (
            self._collection.where(filter=firestore.FieldFilter("org_id", "==", org_id))
            .where(filter=firestore.FieldFilter("agent_id", "==", agent_id))
            .where(filter=firestore.FieldFilter("created_at", ">=", since))
            .order_by("created_at", direction=firestore.Query.DESCENDING)
            .order_by("__name__", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return [_RECORD.decode(snapshot_data(s)) for s in query.stream()]
