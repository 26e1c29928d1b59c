"""Human review of parked runs: approve (deliver) or reject (block) an ``awaiting_approval`` run.

A post-generation eval with ``on_failure.action: require_approval`` parks the run instead of
blocking it. Approving moves it to ``passed`` and on to delivery; rejecting blocks it and alerts
the owner, exactly as a ``block_delivery`` failure would. Both are idempotent: approving an
already approved run returns it unchanged.
"""

from __future__ import annotations

from shared import resources
from shared.composition import Dependencies
from shared.domain.runs import Run, RunStatus
from shared.errors import ConflictError
from shared.pipeline.lifecycle import advance, stop_run
from shared.ports.run_store import Claim, ClaimOutcome

_EXPECTED = {RunStatus.AWAITING_APPROVAL}


def _checked(claim: Claim) -> Run:
    if claim.outcome == ClaimOutcome.SKIPPED:
        raise ConflictError(
            "run_not_awaiting_approval",
            f"the run is {claim.run.status.value}, not awaiting approval",
        )
    return claim.run


def approve_run(deps: Dependencies, org_id: str, run_id: str, reviewer: str, note: str = "") -> Run:
    """Approve a parked run's output: ``passed``, then delivery.

    Args:
        deps: Dependencies.
        org_id: The caller's organisation (another organisation's run is not found).
        run_id: The run.
        reviewer: Who approved (recorded in the event log).
        note: Optional reason.

    Returns:
        The run after the move.

    Raises:
        NotFoundError: No such run in the organisation.
        ConflictError: Code ``run_not_awaiting_approval``.
        TransientError: Publishing ``run-passed`` failed; calling again is safe.
    """
    deps.runs.get_run(run_id, org_id)
    claim = advance(
        deps,
        run_id,
        RunStatus.PASSED,
        expected=_EXPECTED,
        topic=resources.RUN_PASSED,
        event_data={"approved_by": reviewer, "note": note},
    )
    return _checked(claim)


def reject_run(deps: Dependencies, org_id: str, run_id: str, reviewer: str, note: str = "") -> Run:
    """Reject a parked run's output: ``blocked``, and the owner is alerted.

    Raises:
        NotFoundError: No such run in the organisation.
        ConflictError: Code ``run_not_awaiting_approval``.
        TransientError: Publishing ``run-stopped`` failed; calling again is safe.
    """
    deps.runs.get_run(run_id, org_id)
    reason = f"rejected by {reviewer}" + (f": {note}" if note else "")
    claim = stop_run(
        deps,
        run_id,
        RunStatus.BLOCKED,
        expected=_EXPECTED,
        code="rejected_by_reviewer",
        message=reason,
        event_data={"rejected_by": reviewer},
    )
    return _checked(claim)
