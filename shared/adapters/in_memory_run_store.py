"""InMemoryRunStore: the RunStore twin, for unit tests.

It decides every change with the same functions as :class:`FirestoreRunStore`
(:mod:`shared.adapters.records`) and holds one lock where Firestore holds a transaction, so the
contract suite in ``tests/contract`` passes against both. Models go in and out as deep copies:
a caller that mutates a run's ``input`` dict changes nothing stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from shared.adapters.lease_records import Lease, check_lease, take_lease
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

M = TypeVar("M", bound=Model)


@dataclass
class _RunRecords:
    run: Run
    events: list[RunEvent]
    steps: dict[int, ModelStep] = field(default_factory=dict)
    tool_results: dict[tuple[int, int], ToolCallResult] = field(default_factory=dict)
    deliveries: dict[int, DeliveryResult] = field(default_factory=dict)

    def apply(self, change: RunChange) -> None:
        self.run = change.run.model_copy(deep=True)
        self.events.append(change.event.model_copy(deep=True))


class InMemoryRunStore(RunStore):
    """Runs in a dict, safe to share between threads.

    Args:
        clock: The current time, timezone-aware UTC, by which leases expire.
    """

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._runs: dict[str, _RunRecords] = {}
        # Keyed by (run_id, key); like Firestore's subcollection, a lease needs no stored run.
        self._leases: dict[tuple[str, str], Lease] = {}

    def create_run(self, run: Run) -> Run:
        """See :meth:`RunStore.create_run`.

        Raises:
            ConflictError: Code ``run_exists``.
            ValidationError: Code ``invalid_id``: ``run.run_id`` cannot name a document.
        """
        check_document_id("run_id", run.run_id)
        change = first_event(run)
        with self._lock:
            if run.run_id in self._runs:
                raise ConflictError("run_exists", f"a run {run.run_id} exists")
            records = _RunRecords(change.run, [])
            records.apply(change)
            self._runs[run.run_id] = records
        return change.run

    def get_run(self, run_id: str, org_id: str | None = None) -> Run:
        """See :meth:`RunStore.get_run`."""
        with self._lock:
            run = self._records(run_id).run
            if org_id is not None and run.org_id != org_id:
                raise run_not_found(run_id)
            return run.model_copy(deep=True)

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
        cursor = None
        if page_token is not None:
            cursor = decode_page_token(page_token, "runs", datetime, str)
        with self._lock:
            runs = [
                records.run.model_copy(deep=True)
                for records in self._runs.values()
                if records.run.org_id == org_id
                and agent_id in (None, records.run.agent_id)
                and status in (None, records.run.status)
            ]
        runs.sort(key=lambda run: (run.created_at, run.run_id), reverse=True)
        if cursor is not None:
            runs = [run for run in runs if (run.created_at, run.run_id) < cursor]
        return make_page(
            runs[: page_size + 1],
            page_size,
            lambda run: encode_page_token("runs", run.created_at, run.run_id),
        )

    def list_stalled(
        self, statuses: Collection[RunStatus], updated_before: datetime, limit: int
    ) -> list[Run]:
        """See :meth:`RunStore.list_stalled`."""
        with self._lock:
            stalled = [
                records.run.model_copy(deep=True)
                for records in self._runs.values()
                if records.run.status in statuses and records.run.updated_at < updated_before
            ]
        return sorted(stalled, key=lambda run: (run.updated_at, run.run_id))[:limit]

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
            ValidationError: Code ``invalid_run_update``.
        """
        check_run_updates(updates)
        with self._lock:
            records = self._records(run_id)
            outcome, change = decide_transition(
                records.run, new, expected, updates, event_data, utc_now()
            )
            if change is not None:
                records.apply(change)
            return Claim(outcome, records.run.model_copy(deep=True))

    def append_event(self, run_id: str, event_type: str, data: dict[str, Any]) -> RunEvent:
        """See :meth:`RunStore.append_event`.

        Raises:
            NotFoundError: Code ``run_not_found``.
        """
        with self._lock:
            records = self._records(run_id)
            change = add_event(records.run, event_type, data, utc_now())
            records.apply(change)
        return change.event

    def list_events(self, run_id: str, after_seq: int = 0, limit: int = 100) -> list[RunEvent]:
        """See :meth:`RunStore.list_events`; an unknown run has no events.

        Raises:
            ValidationError: Code ``invalid_page_size``: ``limit`` is not 1 to 1000.
        """
        check_page_size(limit)
        with self._lock:
            records = self._runs.get(run_id)
            events = records.events if records is not None else []
            return [e.model_copy(deep=True) for e in events if e.seq > after_seq][:limit]

    def record_step(self, run_id: str, step: ModelStep) -> tuple[ModelStep, bool]:
        """See :meth:`RunStore.record_step`.

        Raises:
            NotFoundError: Code ``run_not_found``.
        """
        return self._record_once(
            run_id, lambda records: records.steps, step.step, step, step_recorded
        )

    def get_step(self, run_id: str, step: int) -> ModelStep | None:
        """See :meth:`RunStore.get_step`."""
        with self._lock:
            records = self._runs.get(run_id)
            stored = records.steps.get(step) if records is not None else None
            return stored.model_copy(deep=True) if stored is not None else None

    def list_steps(self, run_id: str) -> list[ModelStep]:
        """See :meth:`RunStore.list_steps`."""
        return self._list(run_id, lambda records: records.steps)

    def record_tool_result(
        self, run_id: str, result: ToolCallResult
    ) -> tuple[ToolCallResult, bool]:
        """See :meth:`RunStore.record_tool_result`; also counts the call in ``run.usage``.

        Raises:
            NotFoundError: Code ``run_not_found``.
        """
        key = (result.step, result.call_index)
        return self._record_once(
            run_id, lambda records: records.tool_results, key, result, tool_result_recorded
        )

    def list_tool_results(self, run_id: str, step: int | None = None) -> list[ToolCallResult]:
        """See :meth:`RunStore.list_tool_results`."""
        results = self._list(run_id, lambda records: records.tool_results)
        return [result for result in results if step in (None, result.step)]

    def record_delivery(self, run_id: str, result: DeliveryResult) -> tuple[DeliveryResult, bool]:
        """See :meth:`RunStore.record_delivery`.

        Raises:
            NotFoundError: Code ``run_not_found``.
        """
        return self._record_once(
            run_id,
            lambda records: records.deliveries,
            result.target_index,
            result,
            delivery_recorded,
        )

    def list_deliveries(self, run_id: str) -> list[DeliveryResult]:
        """See :meth:`RunStore.list_deliveries`."""
        return self._list(run_id, lambda records: records.deliveries)

    def acquire_lease(self, run_id: str, key: str, holder: str, ttl_s: float) -> bool:
        """See :meth:`RunStore.acquire_lease`.

        Raises:
            ValidationError: Code ``invalid_id`` or ``invalid_lease``.
        """
        check_lease(run_id, key, holder, ttl_s)
        with self._lock:
            lease = take_lease(self._leases.get((run_id, key)), holder, ttl_s, self._clock())
            if lease is None:
                return False
            self._leases[(run_id, key)] = lease
            return True

    def release_lease(self, run_id: str, key: str, holder: str) -> None:
        """See :meth:`RunStore.release_lease`."""
        with self._lock:
            lease = self._leases.get((run_id, key))
            if lease is not None and lease.holder == holder:
                del self._leases[(run_id, key)]

    def _records(self, run_id: str) -> _RunRecords:
        records = self._runs.get(run_id)
        if records is None:
            raise run_not_found(run_id)
        return records

    def _record_once(
        self,
        run_id: str,
        kind: Callable[[_RunRecords], dict[Any, M]],
        key: Hashable,
        record: M,
        recorded: Callable[[Run, M, datetime], RunChange],
    ) -> tuple[M, bool]:
        with self._lock:
            records = self._records(run_id)
            stored = kind(records)
            if key in stored:
                return stored[key].model_copy(deep=True), False
            change = recorded(records.run, record, utc_now())
            stored[key] = record.model_copy(deep=True)
            records.apply(change)
        return record.model_copy(deep=True), True

    def _list(self, run_id: str, kind: Callable[[_RunRecords], dict[Any, M]]) -> list[M]:
        # Keys are the records' natural order: step, (step, call_index), target_index.
        with self._lock:
            records = self._runs.get(run_id)
            stored = kind(records) if records is not None else {}
            return [stored[key].model_copy(deep=True) for key in sorted(stored)]
