"""Cancel a run: ``cancelled``, honoured between steps.

A cancelled run gets the ``cancelled`` status through :meth:`RunStore.transition`, which appends
``run.cancelled`` to its event log (so its SSE stream ends). Nothing is interrupted: a model
step or tool call already under way finishes, and the executor drops the run's next task
because the run is no longer ``running``; every later stage's claim skips it, since
``cancelled`` is terminal. No alert is sent: the caller asked for the stop.

Cancelling is idempotent: cancelling a cancelled run returns it unchanged. A run that ended
another way (delivered, failed, ...) cannot be cancelled: 409 ``run_already_terminal``.
"""

from __future__ import annotations

from shared.composition import Dependencies
from shared.domain.runs import TERMINAL_STATUSES, Run, RunError, RunStatus
from shared.errors import ConflictError
from shared.ports.run_store import ClaimOutcome

CANCELLABLE = frozenset(RunStatus) - TERMINAL_STATUSES


def _already_ended(run: Run) -> ConflictError:
    return ConflictError(
        "run_already_terminal", f"the run is {run.status.value} and can no longer be cancelled"
    )


def cancel_run(deps: Dependencies, org_id: str, run_id: str, cancelled_by: str) -> Run:
    """Cancel a run that has not ended.

    Args:
        deps: Dependencies.
        org_id: The caller's organisation (another organisation's run is not found).
        run_id: The run.
        cancelled_by: Who cancelled (an API key id), recorded in the event and the run's error.

    Returns:
        The run, ``cancelled``.

    Raises:
        NotFoundError: No such run in the organisation.
        ConflictError: Code ``run_already_terminal``: the run ended otherwise first.
    """
    run = deps.runs.get_run(run_id, org_id)
    if run.status == RunStatus.CANCELLED:
        return run
    if run.status.terminal:
        raise _already_ended(run)
    message = f"cancelled by {cancelled_by}"
    claim = deps.runs.transition(
        run_id,
        RunStatus.CANCELLED,
        expected=CANCELLABLE,
        event_data={"cancelled_by": cancelled_by},
        error=RunError(code="cancelled", message=message),
    )
    if claim.outcome == ClaimOutcome.SKIPPED:  # the run ended between the read and the claim
        raise _already_ended(claim.run)
    return claim.run
