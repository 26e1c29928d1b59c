"""Cloud Scheduler jobs in memory: their lifecycle and which attempts are due when.

The store is the one piece of state the RPC threads and the scheduler thread share. Every
change notifies :attr:`JobStore.condition`, on which :class:`~emulators.scheduler.runner.JobRunner`
sleeps until the next job is due. Time comes from an injected clock, so the firing rules
(:meth:`JobStore.claim_due`) can be tested without waiting.

Rules from the ``google.cloud.scheduler.v1`` reference:

- A new job is ENABLED; only an ENABLED job can be paused and only a PAUSED one resumed
  (FAILED_PRECONDITION otherwise). ``schedule_time`` is the next scheduled time; a paused job
  has none.
- Execution n + 1 does not start before execution n has finished: a job that is due while its
  previous attempt is still running fires as soon as that attempt ends, once, and then
  follows its schedule again.
- RunJob dispatches at once, even when the job is paused or already running.
- ``retry_config`` is validated and stored, but failed attempts are not retried.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
from google.cloud.scheduler_v1 import Job
from google.protobuf import field_mask_pb2
from google.rpc import status_pb2

from emulators.grpc_service import RpcError
from emulators.scheduler.cron import CronSchedule
from emulators.scheduler.validation import check_job, check_job_name, check_parent, invalid

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware."""

_OUTPUT_ONLY = frozenset(
    {"name", "user_update_time", "state", "status", "schedule_time", "last_attempt_time"}
)


def system_clock() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Attempt:
    """One execution of a job, claimed by the scheduler thread.

    Attributes:
        job: The job as it was when the attempt started.
        schedule_time: The time the attempt was scheduled for (the RunJob time for forced runs).
        forced: True for RunJob attempts, which do not hold back the schedule.
    """

    job: Job
    schedule_time: datetime
    forced: bool = False


@dataclass
class _Entry:
    job: Job  # output fields kept current except schedule_time, which `due` holds
    schedule: CronSchedule
    due: datetime | None  # next scheduled fire time; None while paused
    running: bool = False  # a scheduled attempt is in flight


class JobStore:
    """The jobs of an emulator process, thread-safe.

    Args:
        clock: Source of the current time; :func:`system_clock` outside tests.

    Attributes:
        condition: Notified on every change; hold it to read a consistent view of due times.
    """

    def __init__(self, clock: Clock = system_clock) -> None:
        self._clock = clock
        self.condition = threading.Condition(threading.RLock())
        self._entries: dict[str, _Entry] = {}
        self._forced: list[Attempt] = []

    # --- RPCs ------------------------------------------------------------------------------

    def create_job(self, parent: str, job: Job) -> Job:
        """Store a new ENABLED job under ``parent`` and schedule its first run.

        Args:
            parent: ``projects/<project>/locations/<location>``.
            job: The job; ``name`` may be empty (a random id is chosen) or must lie under
                ``parent``. Output-only fields are ignored.

        Returns:
            The stored job with ``state``, ``user_update_time`` and ``schedule_time``.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed parent, name or job; ALREADY_EXISTS
                when the name is taken; UNIMPLEMENTED for unsupported targets.
        """
        check_parent(parent)
        stored = Job(job)
        for field in _OUTPUT_ONLY - {"name"}:
            Job.pb(stored).ClearField(field)
        stored.name = job.name or f"{parent}/jobs/job-{uuid.uuid4().hex[:16]}"
        if stored.name.rpartition("/jobs/")[0] != parent:
            raise invalid(f"job name {stored.name!r} is not under {parent!r}")
        check_job_name(stored.name)
        schedule = check_job(stored)
        with self.condition:
            if stored.name in self._entries:
                raise RpcError(grpc.StatusCode.ALREADY_EXISTS, f"job {stored.name} exists")
            now = self._clock()
            stored.state = Job.State.ENABLED  # type: ignore[assignment]  # proto-plus enums type as int
            stored.user_update_time = now
            entry = _Entry(stored, schedule, schedule.next_after(now))
            self._entries[stored.name] = entry
            logger.info("job %s created, first run at %s", stored.name, entry.due)
            self.condition.notify_all()
            return self._view(entry)

    def get_job(self, name: str) -> Job:
        """The job ``name``.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed name; NOT_FOUND when absent.
        """
        with self.condition:
            return self._view(self._entry(name))

    def list_jobs(self, parent: str) -> list[Job]:
        """The jobs under ``parent``, by name.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed parent.
        """
        check_parent(parent)
        with self.condition:
            return [
                self._view(entry)
                for name, entry in sorted(self._entries.items())
                if name.rpartition("/jobs/")[0] == parent
            ]

    def update_job(self, job: Job, update_mask: field_mask_pb2.FieldMask) -> Job:
        """Change the fields of ``job`` that ``update_mask`` names, then reschedule.

        Args:
            job: Carries ``name`` and the new values.
            update_mask: Field paths to change, such as ``schedule`` or ``http_target.uri``;
                empty means every field set in ``job`` (AIP-134). Output-only paths are
                ignored, as Google ignores values for output-only fields.

        Returns:
            The updated job; a paused job stays paused.

        Raises:
            RpcError: INVALID_ARGUMENT for an unknown path or an invalid result; NOT_FOUND
                when the job is absent; UNIMPLEMENTED for unsupported targets.
        """
        check_job_name(job.name)
        paths = list(update_mask.paths) or [f.name for f, _ in Job.pb(job).ListFields()]
        mask = field_mask_pb2.FieldMask(
            paths=[p for p in paths if p.split(".")[0] not in _OUTPUT_ONLY]
        )
        if not mask.IsValidForDescriptor(Job.pb().DESCRIPTOR):
            raise invalid(f"update_mask {list(update_mask.paths)} names unknown Job fields")
        with self.condition:
            entry = self._entry(job.name)
            updated = Job(entry.job)
            mask.MergeMessage(
                Job.pb(job),
                Job.pb(updated),
                replace_message_field=True,
                replace_repeated_field=True,
            )
            schedule = check_job(updated)
            now = self._clock()
            updated.user_update_time = now
            entry.job, entry.schedule = updated, schedule
            if entry.due is not None:
                entry.due = schedule.next_after(now)
            self.condition.notify_all()
            return self._view(entry)

    def delete_job(self, name: str) -> None:
        """Delete the job ``name``; an attempt in flight still finishes.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed name; NOT_FOUND when absent.
        """
        with self.condition:
            self._entry(name)
            del self._entries[name]
            self.condition.notify_all()

    def pause_job(self, name: str) -> Job:
        """Stop the ENABLED job ``name`` from firing until it is resumed.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed name; NOT_FOUND when absent;
                FAILED_PRECONDITION when the job is not ENABLED.
        """
        return self._set_state(name, Job.State.ENABLED, Job.State.PAUSED)

    def resume_job(self, name: str) -> Job:
        """Let the PAUSED job ``name`` fire again from its next scheduled time.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed name; NOT_FOUND when absent;
                FAILED_PRECONDITION when the job is not PAUSED.
        """
        return self._set_state(name, Job.State.PAUSED, Job.State.ENABLED)

    def run_job(self, name: str) -> Job:
        """Queue an immediate attempt of the job ``name``, whatever its state.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed name; NOT_FOUND when absent.
        """
        with self.condition:
            entry = self._entry(name)
            self._forced.append(Attempt(Job(entry.job), self._clock(), forced=True))
            self.condition.notify_all()
            return self._view(entry)

    # --- the scheduler thread's side -------------------------------------------------------

    def claim_due(self, now: datetime) -> list[Attempt]:
        """Start the attempts due at ``now``: queued RunJob calls and scheduled runs.

        Each scheduled job due at or before ``now`` whose previous attempt has ended gets one
        attempt; its ``last_attempt_time`` becomes ``now`` and its next run is the first
        scheduled time after ``now`` (runs missed meanwhile are not made up).

        Args:
            now: The current time, timezone-aware.

        Returns:
            The attempts to dispatch; pass each to :meth:`finish` when it ends.
        """
        with self.condition:
            attempts, self._forced = self._forced, []
            for entry in self._entries.values():
                if entry.due is not None and entry.due <= now and not entry.running:
                    attempts.append(Attempt(Job(entry.job), entry.due))
                    entry.running = True
                    entry.due = entry.schedule.next_after(now)
            for attempt in attempts:
                if claimed := self._entries.get(attempt.job.name):  # None: RunJob, then DeleteJob
                    claimed.job.last_attempt_time = now
            return attempts

    def next_due(self) -> datetime | None:
        """The earliest time a scheduled attempt can start, or None when nothing is scheduled."""
        with self.condition:
            times = [
                entry.due
                for entry in self._entries.values()
                if entry.due is not None and not entry.running
            ]
            return min(times, default=None)

    def finish(self, attempt: Attempt, status: status_pb2.Status) -> None:
        """Record how ``attempt`` ended and let its job's next scheduled attempt start.

        Args:
            attempt: An attempt from :meth:`claim_due`.
            status: OK, or the error the target answered.
        """
        with self.condition:
            entry = self._entries.get(attempt.job.name)
            if entry is None:  # deleted meanwhile
                return
            entry.job.status = status
            if not attempt.forced:
                entry.running = False
            self.condition.notify_all()

    # --- helpers (callers hold the condition) ----------------------------------------------

    def _entry(self, name: str) -> _Entry:
        check_job_name(name)
        entry = self._entries.get(name)
        if entry is None:
            raise RpcError(grpc.StatusCode.NOT_FOUND, f"job {name} not found")
        return entry

    def _set_state(self, name: str, required: int, new: int) -> Job:
        with self.condition:
            entry = self._entry(name)
            if entry.job.state != required:
                raise RpcError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"job {name} is {entry.job.state.name}, not {Job.State(required).name}",
                )
            entry.job.state = Job.State(new)
            enabled = new == Job.State.ENABLED
            entry.due = entry.schedule.next_after(self._clock()) if enabled else None
            self.condition.notify_all()
            return self._view(entry)

    def _view(self, entry: _Entry) -> Job:
        job = Job(entry.job)
        job.schedule_time = entry.due
        return job
