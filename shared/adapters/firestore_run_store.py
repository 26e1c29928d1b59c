"""FirestoreRunStore: runs, their event logs, steps, tool results and deliveries in Firestore.

Layout (DESIGN.md §2)::

    runs/{run_id}                                     Run; event_count = seq of its newest event
    runs/{run_id}/events/{seq:08d}                    RunEvent
    runs/{run_id}/steps/{step:04d}                    ModelStep
    runs/{run_id}/tool_calls/{step:04d}-{call:02d}    ToolCallResult, one document per call
    runs/{run_id}/deliveries/{target_index:02d}       DeliveryResult, one document per target
    runs/{run_id}/leases/{key}                        Lease: who does one piece of work, until when

Every change of a run reads the run and writes it with its next event in one small transaction,
so a status and its event, or a step and its token count, are never stored one without the
other. Records are created once: a duplicate delivery of a task finds its document and stores
nothing. A step's tool results fan in by reading their documents, never a shared counter.
Leases keep two deliveries of one task running at the same time from both doing its work.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any, TypeVar

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from shared.adapters.firestore_support import (
    DocumentCodec,
    FirestoreIndex,
    firestore_errors,
    run_transaction,
    snapshot_data,
)
from shared.adapters.lease_records import Lease, check_lease, new_lease, take_lease
from shared.adapters.records import (
    RunChange,
    add_event,
    check_run_updates,
    decide_transition,
    delivery_recorded,
    first_event,
    run_not_found,
    step_recorded,
    tool_result_recorded,
)
from shared.adapters.store_support import (
    check_document_id,
    check_page_size,
    decode_page_token,
    encode_page_token,
    is_document_id,
    make_page,
    utc_now,
)
from shared.domain.agents import Page
from shared.domain.base import Model
from shared.domain.deliveries import DeliveryResult
from shared.domain.runs import Run, RunEvent, RunStatus
from shared.domain.steps import ModelStep, ToolCallResult
from shared.errors import ConflictError
from shared.ports.run_store import Claim, RunStore
from shared.resources import (
    RUN_DELIVERIES,
    RUN_EVENTS,
    RUN_LEASES,
    RUN_STEPS,
    RUN_TOOL_CALLS,
    RUNS,
)

M = TypeVar("M", bound=Model)

# list_runs filters on org_id and optionally agent_id and status, newest first (the implicit
# __name__ tie-break needs no field of its own). The subcollection queries (events by seq, tool
# results by step) use Firestore's automatic single-field indexes.
FIRESTORE_INDEXES: tuple[FirestoreIndex, ...] = (
    FirestoreIndex(RUNS, (("org_id", "ASCENDING"), ("created_at", "DESCENDING"))),
    FirestoreIndex(
        RUNS, (("org_id", "ASCENDING"), ("agent_id", "ASCENDING"), ("created_at", "DESCENDING"))
    ),
    FirestoreIndex(
        RUNS, (("org_id", "ASCENDING"), ("status", "ASCENDING"), ("created_at", "DESCENDING"))
    ),
    FirestoreIndex(
        RUNS,
        (
            ("org_id", "ASCENDING"),
            ("agent_id", "ASCENDING"),
            ("status", "ASCENDING"),
            ("created_at", "DESCENDING"),
        ),
    ),
    # list_stalled: the sweeper's query across organisations.
    FirestoreIndex(RUNS, (("status", "ASCENDING"), ("updated_at", "ASCENDING"))),
)

_RUN = DocumentCodec(Run, json_fields=("input",))
_EVENT = DocumentCodec(RunEvent, json_fields=("data",))
_STEP = DocumentCodec(ModelStep, json_fields=("function_calls",))
_TOOL_RESULT = DocumentCodec(ToolCallResult, json_fields=("output",))
_DELIVERY = DocumentCodec(DeliveryResult)


class FirestoreRunStore(RunStore):
    """Runs in the ``runs`` collection of a Firestore database.

    Besides the errors each method names, every method raises :class:`TransientError` (code
    ``firestore_unavailable``, or ``firestore_contention`` when a transaction kept being
    aborted) when Firestore fails in a way a retry may fix.

    Args:
        client: Firestore client (of the emulator when ``FIRESTORE_EMULATOR_HOST`` is set).
        clock: The current time, timezone-aware UTC, by which leases expire. Instances'
            clocks agree to well within a lease's margin (Google's instances keep NTP time).
    """

    def __init__(self, client: firestore.Client, clock: Callable[[], datetime] = utc_now) -> None:
        self._client = client
        self._clock = clock
        self._runs = client.collection(RUNS)

    @firestore_errors()
    def create_run(self, run: Run) -> Run:
        """See :meth:`RunStore.create_run`.

        Raises:
            ConflictError: Code ``run_exists``.
            ValidationError: Code ``invalid_id``: ``run.run_id`` cannot name a document.
        """
        check_document_id("run_id", run.run_id)
        change = first_event(run)
        ref = self._runs.document(run.run_id)
        batch = self._client.batch()
        batch.create(ref, _RUN.encode(change.run))
        batch.create(ref.collection(RUN_EVENTS).document(_seq_id(1)), _EVENT.encode(change.event))
        try:
            batch.commit()
        except AlreadyExists:
            raise ConflictError("run_exists", f"a run {run.run_id} exists") from None
        return change.run

    @firestore_errors()
    def get_run(self, run_id: str, org_id: str | None = None) -> Run:
        """See :meth:`RunStore.get_run`."""
        run = _read_run(self._run_ref(run_id))
        if org_id is not None and run.org_id != org_id:
            raise run_not_found(run_id)
        return run

    @firestore_errors()
    def list_runs(
        self,
        org_id: str,
        *,
        agent_id: str | None = None,
        status: RunStatus | None = None,
        page_size: int = 50,
        page_token: str | None = None,
    ) -> Page[Run]:
        """See :meth:`RunStore.list_runs`; runs created at the same instant go by id, descending.

        Raises:
            ValidationError: Code ``invalid_page_token`` or ``invalid_page_size``.
        """
        check_page_size(page_size)
        query = self._runs.where(filter=firestore.FieldFilter("org_id", "==", org_id))
        if agent_id is not None:
            query = query.where(filter=firestore.FieldFilter("agent_id", "==", agent_id))
        if status is not None:
            query = query.where(filter=firestore.FieldFilter("status", "==", status.value))
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING).order_by(
            "__name__", direction=firestore.Query.DESCENDING
        )
        if page_token is not None:
            created_at, run_id = decode_page_token(page_token, "runs", datetime, str)
            query = query.start_after({"created_at": created_at, "__name__": run_id})
        runs = [_RUN.decode(snapshot_data(s)) for s in query.limit(page_size + 1).stream()]
        return make_page(
            runs, page_size, lambda run: encode_page_token("runs", run.created_at, run.run_id)
        )

    @firestore_errors()
    def list_stalled(
        self, statuses: Collection[RunStatus], updated_before: datetime, limit: int
    ) -> list[Run]:
        """See :meth:`RunStore.list_stalled` (one query: ``status in`` and ``updated_at <``).

        Raises:
            TransientError: Code ``firestore_unavailable``.
        """
        if not statuses:
            return []
        query = (
            self._runs.where(
                filter=firestore.FieldFilter("status", "in", [s.value for s in statuses])
            )
            .where(filter=firestore.FieldFilter("updated_at", "<", updated_before))
            .order_by("updated_at")
            .limit(limit)
        )
        return [_RUN.decode(snapshot_data(snapshot)) for snapshot in query.stream()]

    @firestore_errors()
    def transition(
        self,
        run_id: str,
        new: RunStatus,
        *,
        expected: Collection[RunStatus],
        event_data: dict[str, Any] | None = None,
        **updates: Any,
    ) -> Claim:
        """See :meth:`RunStore.transition`.

        Raises:
            NotFoundError: Code ``run_not_found``.
            ValidationError: Code ``invalid_run_update``: ``updates`` names a field the store
                owns or no Run field, or a value does not fit.
        """
        check_run_updates(updates)
        ref = self._run_ref(run_id)

        def body(transaction: firestore.Transaction) -> Claim:
            run = _read_run(ref, transaction)
            outcome, change = decide_transition(run, new, expected, updates, event_data, utc_now())
            if change is None:
                return Claim(outcome, run)
            _write_change(transaction, ref, change)
            return Claim(outcome, change.run)

        return run_transaction(self._client, body)

    @firestore_errors()
    def append_event(self, run_id: str, event_type: str, data: dict[str, Any]) -> RunEvent:
        """See :meth:`RunStore.append_event`.

        Raises:
            NotFoundError: Code ``run_not_found``.
        """
        ref = self._run_ref(run_id)

        def body(transaction: firestore.Transaction) -> RunEvent:
            change = add_event(_read_run(ref, transaction), event_type, data, utc_now())
            _write_change(transaction, ref, change)
            return change.event

        return run_transaction(self._client, body)

    @firestore_errors()
    def list_events(self, run_id: str, after_seq: int = 0, limit: int = 100) -> list[RunEvent]:
        """See :meth:`RunStore.list_events`; an unknown run has no events.

        Raises:
            ValidationError: Code ``invalid_page_size``: ``limit`` is not 1 to 1000.
        """
        check_page_size(limit)
        if not is_document_id(run_id):
            return []
        query = (
            self._runs.document(run_id)
            .collection(RUN_EVENTS)
            .where(filter=firestore.FieldFilter("seq", ">", after_seq))
            .order_by("seq")
            .limit(limit)
        )
        return [_EVENT.decode(snapshot_data(s)) for s in query.stream()]

    def record_step(self, run_id: str, step: ModelStep) -> tuple[ModelStep, bool]:
        """See :meth:`RunStore.record_step`.

        Raises:
            NotFoundError: Code ``run_not_found``.
        """
        return self._record_once(run_id, RUN_STEPS, _step_id(step.step), _STEP, step, step_recorded)

    @firestore_errors()
    def get_step(self, run_id: str, step: int) -> ModelStep | None:
        """See :meth:`RunStore.get_step`."""
        if not is_document_id(run_id):
            return None
        snapshot = self._runs.document(run_id).collection(RUN_STEPS).document(_step_id(step)).get()
        return _STEP.decode(snapshot_data(snapshot)) if snapshot.exists else None

    def list_steps(self, run_id: str) -> list[ModelStep]:
        """See :meth:`RunStore.list_steps`."""
        return sorted(self._list(run_id, RUN_STEPS, _STEP), key=lambda step: step.step)

    def record_tool_result(
        self, run_id: str, result: ToolCallResult
    ) -> tuple[ToolCallResult, bool]:
        """See :meth:`RunStore.record_tool_result`; also counts the call in ``run.usage``.

        Raises:
            NotFoundError: Code ``run_not_found``.
        """
        doc_id = f"{_step_id(result.step)}-{result.call_index:02d}"
        return self._record_once(
            run_id, RUN_TOOL_CALLS, doc_id, _TOOL_RESULT, result, tool_result_recorded
        )

    def list_tool_results(self, run_id: str, step: int | None = None) -> list[ToolCallResult]:
        """See :meth:`RunStore.list_tool_results`."""
        where = None if step is None else firestore.FieldFilter("step", "==", step)
        results = self._list(run_id, RUN_TOOL_CALLS, _TOOL_RESULT, where)
        return sorted(results, key=lambda result: (result.step, result.call_index))

    def record_delivery(self, run_id: str, result: DeliveryResult) -> tuple[DeliveryResult, bool]:
        """See :meth:`RunStore.record_delivery`.

        Raises:
            NotFoundError: Code ``run_not_found``.
        """
        doc_id = f"{result.target_index:02d}"
        return self._record_once(
            run_id, RUN_DELIVERIES, doc_id, _DELIVERY, result, delivery_recorded
        )

    def list_deliveries(self, run_id: str) -> list[DeliveryResult]:
        """See :meth:`RunStore.list_deliveries`."""
        results = self._list(run_id, RUN_DELIVERIES, _DELIVERY)
        return sorted(results, key=lambda result: result.target_index)

    @firestore_errors()
    def acquire_lease(self, run_id: str, key: str, holder: str, ttl_s: float) -> bool:
        """See :meth:`RunStore.acquire_lease`.

        Raises:
            ValidationError: Code ``invalid_id`` or ``invalid_lease``.
        """
        check_lease(run_id, key, holder, ttl_s)
        ref = self._runs.document(run_id).collection(RUN_LEASES).document(key)
        # Mostly the lease is absent: creating it is one write, and copies racing for it need
        # not contend in transactions (the emulator settles those only after 2-second waits).
        try:
            ref.create(_encode_lease(new_lease(holder, ttl_s, self._clock())))
            return True
        except AlreadyExists:
            pass

        def body(transaction: firestore.Transaction) -> bool:
            stored = ref.get(transaction=transaction)
            current = _decode_lease(snapshot_data(stored)) if stored.exists else None
            lease = take_lease(current, holder, ttl_s, self._clock())
            if lease is None:
                return False
            transaction.set(ref, _encode_lease(lease))
            return True

        return run_transaction(self._client, body)

    @firestore_errors()
    def release_lease(self, run_id: str, key: str, holder: str) -> None:
        """See :meth:`RunStore.release_lease`."""
        if not (is_document_id(run_id) and is_document_id(key)):
            return
        ref = self._runs.document(run_id).collection(RUN_LEASES).document(key)

        def body(transaction: firestore.Transaction) -> None:
            stored = ref.get(transaction=transaction)
            if stored.exists and snapshot_data(stored)["holder"] == holder:
                transaction.delete(ref)

        run_transaction(self._client, body)

    def _run_ref(self, run_id: str) -> firestore.DocumentReference:
        if not is_document_id(run_id):
            raise run_not_found(run_id)
        return self._runs.document(run_id)

    @firestore_errors()
    def _record_once(
        self,
        run_id: str,
        collection: str,
        doc_id: str,
        codec: DocumentCodec[M],
        record: M,
        recorded: Callable[[Run, M, datetime], RunChange],
    ) -> tuple[M, bool]:
        ref = self._run_ref(run_id)
        record_ref = ref.collection(collection).document(doc_id)

        def body(transaction: firestore.Transaction) -> tuple[M, bool]:
            run = _read_run(ref, transaction)
            stored = record_ref.get(transaction=transaction)
            if stored.exists:
                return codec.decode(snapshot_data(stored)), False
            transaction.create(record_ref, codec.encode(record))
            _write_change(transaction, ref, recorded(run, record, utc_now()))
            return record, True

        return run_transaction(self._client, body)

    @firestore_errors()
    def _list(
        self,
        run_id: str,
        collection: str,
        codec: DocumentCodec[M],
        where: firestore.FieldFilter | None = None,
    ) -> list[M]:
        # A run's records are few (bounded by limits.max_steps), so they are read whole and
        # sorted here rather than ordered by a composite index.
        if not is_document_id(run_id):
            return []
        query: firestore.Query | firestore.CollectionReference
        query = self._runs.document(run_id).collection(collection)
        if where is not None:
            query = query.where(filter=where)
        return [codec.decode(snapshot_data(s)) for s in query.stream()]


def _seq_id(seq: int) -> str:
    return f"{seq:08d}"


def _step_id(step: int) -> str:
    return f"{step:04d}"


def _read_run(
    ref: firestore.DocumentReference, transaction: firestore.Transaction | None = None
) -> Run:
    snapshot = ref.get(transaction=transaction)
    if not snapshot.exists:
        raise run_not_found(ref.id)
    return _RUN.decode(snapshot_data(snapshot))


def _encode_lease(lease: Lease) -> dict[str, Any]:
    return {
        "holder": lease.holder,
        "acquired_at": lease.acquired_at,
        "expires_at": lease.expires_at,
    }


def _decode_lease(document: dict[str, Any]) -> Lease:
    return Lease(document["holder"], document["acquired_at"], document["expires_at"])


def _write_change(
    transaction: firestore.Transaction, ref: firestore.DocumentReference, change: RunChange
) -> None:
    transaction.set(ref, _RUN.encode(change.run))
    event_ref = ref.collection(RUN_EVENTS).document(_seq_id(change.event.seq))
    transaction.create(event_ref, _EVENT.encode(change.event))
