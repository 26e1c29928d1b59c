"""RunStore: runs, their event logs, model steps, tool-call results, deliveries and leases."""

from __future__ import annotations

import abc
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.domain.agents import Page
from shared.domain.deliveries import DeliveryResult
from shared.domain.runs import Run, RunEvent, RunStatus
from shared.domain.steps import ModelStep, ToolCallResult


class ClaimOutcome(StrEnum):
    """What a :meth:`RunStore.transition` did.

    CLAIMED: this caller moved the run. ALREADY: the run was already in the target status (a
    duplicate delivery, or a retry after a crash between claim and side effect): redo only the
    idempotent side effect. SKIPPED: the run is elsewhere (past it, or stopped): do nothing.
    """

    CLAIMED = "claimed"
    ALREADY = "already"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Claim:
    """The outcome of a transition and the run as it is afterwards."""

    outcome: ClaimOutcome
    run: Run


class RunStore(abc.ABC):
    """Durable run state. Every method is safe to call concurrently from many instances."""

    @abc.abstractmethod
    def create_run(self, run: Run) -> Run:
        """Store a new run and its first event (``run.requested``); returns it as stored.

        Raises:
            ConflictError: A run with this id exists.
        """

    @abc.abstractmethod
    def get_run(self, run_id: str, org_id: str | None = None) -> Run:
        """The run; with ``org_id``, only if it belongs to that organisation.

        Raises:
            NotFoundError: No such run (or it belongs to another organisation).
        """

    @abc.abstractmethod
    def list_runs(
        self,
        org_id: str,
        *,
        agent_id: str | None = None,
        status: RunStatus | None = None,
        page_size: int = 50,
        page_token: str | None = None,
    ) -> Page[Run]:
        """An organisation's runs, newest first, optionally filtered.

        Raises:
            ValidationError: ``page_token`` is not one this store issued.
        """

    @abc.abstractmethod
    def list_stalled(
        self, statuses: Collection[RunStatus], updated_before: datetime, limit: int
    ) -> list[Run]:
        """Runs of every organisation in one of ``statuses`` last updated before
        ``updated_before``, least recently updated first, at most ``limit``: what the sweeper
        (:mod:`shared.pipeline.sweeper`) looks at.
        """

    @abc.abstractmethod
    def transition(
        self,
        run_id: str,
        new: RunStatus,
        *,
        expected: Collection[RunStatus],
        event_data: dict[str, Any] | None = None,
        **updates: Any,
    ) -> Claim:
        """Atomically move a run from one of ``expected`` to ``new``.

        When the run's status is in ``expected`` and the move is allowed, sets the status and
        ``updates`` (Run field names to values) and appends the event ``run.<new>`` with
        ``event_data``, all in one transaction.

        Returns:
            The claim; see :class:`ClaimOutcome`.

        Raises:
            NotFoundError: No such run.
        """

    @abc.abstractmethod
    def append_event(self, run_id: str, event_type: str, data: dict[str, Any]) -> RunEvent:
        """Append an event that changes no status (``step.completed``, ``eval.passed``, ...).

        Raises:
            NotFoundError: No such run.
        """

    @abc.abstractmethod
    def list_events(self, run_id: str, after_seq: int = 0, limit: int = 100) -> list[RunEvent]:
        """Events with ``seq > after_seq``, oldest first, at most ``limit``."""

    @abc.abstractmethod
    def record_step(self, run_id: str, step: ModelStep) -> tuple[ModelStep, bool]:
        """Store a model step unless one with that index is stored already.

        On first store, also adds its tokens to the run's usage and appends ``step.completed``.

        Returns:
            ``(stored_step, created)``: the step as stored (the earlier one on a duplicate).
        """

    @abc.abstractmethod
    def get_step(self, run_id: str, step: int) -> ModelStep | None:
        """The stored step, or None."""

    @abc.abstractmethod
    def list_steps(self, run_id: str) -> list[ModelStep]:
        """Every stored step, in order."""

    @abc.abstractmethod
    def record_tool_result(
        self, run_id: str, result: ToolCallResult
    ) -> tuple[ToolCallResult, bool]:
        """Store a tool call's result unless one is stored for that (step, call) already.

        On first store, also appends ``tool_call.completed``.

        Returns:
            ``(stored_result, created)``.
        """

    @abc.abstractmethod
    def list_tool_results(self, run_id: str, step: int | None = None) -> list[ToolCallResult]:
        """Stored tool results of one step (or all), ordered by (step, call_index)."""

    @abc.abstractmethod
    def record_delivery(self, run_id: str, result: DeliveryResult) -> tuple[DeliveryResult, bool]:
        """Store a delivery target's outcome unless one is stored for that target already.

        On first store, also appends ``delivery.completed``.

        Returns:
            ``(stored_result, created)``.
        """

    @abc.abstractmethod
    def list_deliveries(self, run_id: str) -> list[DeliveryResult]:
        """Stored delivery outcomes, ordered by ``target_index``."""

    @abc.abstractmethod
    def acquire_lease(self, run_id: str, key: str, holder: str, ttl_s: float) -> bool:
        """Take the lease ``key`` of a run for ``holder``, for ``ttl_s`` seconds.

        A lease says who is doing one piece of a run's work (``step-<n>``,
        ``step-<n>-call-<i>``, ``delivery-<i>``), so that two deliveries of one task running
        at the same time do not both do it: the side effect comes before its create-if-absent
        record, so the record alone cannot stop the second copy. Atomically: when the
        lease is absent, expired (``expires_at <= now``, by the store's clock) or already
        ``holder``'s, it is stored as ``holder``'s until ``now + ttl_s``. The run itself is
        not read, so leasing never contends with the run's own transactions.

        Args:
            run_id: The run.
            key: The work's name within the run, a document id.
            holder: Who asks: a random id per attempt, so that a retry is a new holder.
            ttl_s: Seconds until another holder may take the lease over: the work's time limit
                plus a margin, so that a holder that died without releasing delays the work
                by at most that long.

        Returns:
            True when ``holder`` holds the lease now; False when another holder's is live.

        Raises:
            ValidationError: Code ``invalid_id`` (``run_id`` or ``key`` cannot name a
                document) or ``invalid_lease`` (empty ``holder``, ``ttl_s`` not positive).
        """

    @abc.abstractmethod
    def release_lease(self, run_id: str, key: str, holder: str) -> None:
        """Give up ``holder``'s lease ``key`` of a run, so the next holder need not wait.

        Does nothing when the lease is absent or another holder's (``holder``'s expired and
        was taken over).
        """
