"""Moving a run and announcing the move: the mechanism every stage shares.

At-least-once delivery means a stage may run twice for one event, or crash between moving the
run and publishing. :func:`advance` covers both: it claims the transition in a transaction and
publishes when it claimed it (CLAIMED) or when the run already sits in the target status
(ALREADY: a duplicate, or a retry after such a crash). Publishing twice is harmless, because the
next stage claims its own transition the same way; publishing never is what would lose a run.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from shared import resources
from shared.composition import Dependencies
from shared.domain.runs import Run, RunError, RunStatus
from shared.domain.spec import AgentSpec
from shared.pipeline.announce import announce
from shared.ports.run_store import Claim, ClaimOutcome


def load_spec(deps: Dependencies, run: Run) -> AgentSpec:
    """The spec of the agent version ``run`` pinned.

    Raises:
        NotFoundError: The version no longer exists.
    """
    return deps.agents.get_version(run.org_id, run.agent_id, run.agent_version).spec


def advance(
    deps: Dependencies,
    run_id: str,
    new: RunStatus,
    *,
    expected: Collection[RunStatus],
    topic: str,
    event_data: dict[str, Any] | None = None,
    **updates: Any,
) -> Claim:
    """Claim ``expected → new`` and publish the run on ``topic`` unless the claim was SKIPPED.

    Args:
        deps: Dependencies.
        run_id: The run.
        new: Target status.
        expected: Statuses the run may be in for the move.
        topic: Topic announcing the new status.
        event_data: Data of the ``run.<new>`` event.
        **updates: Run fields set with the move.

    Returns:
        The claim.

    Raises:
        NotFoundError: No such run.
        TransientError: Publishing failed; the caller's transport retries, and the retry finds
            the run ALREADY moved and publishes again.
    """
    claim = deps.runs.transition(run_id, new, expected=expected, event_data=event_data, **updates)
    if claim.outcome != ClaimOutcome.SKIPPED:
        announce(deps, topic, claim.run)
    return claim


def stop_run(
    deps: Dependencies,
    run_id: str,
    new: RunStatus,
    *,
    expected: Collection[RunStatus],
    code: str,
    message: str,
    event_data: dict[str, Any] | None = None,
) -> Claim:
    """Stop a run (rejected, blocked or failed) with a reason, and alert its owner.

    Returns:
        The claim.

    Raises:
        NotFoundError: No such run.
        TransientError: Publishing on ``run-stopped`` failed.
    """
    data = {"code": code, "message": message, **(event_data or {})}
    return advance(
        deps,
        run_id,
        new,
        expected=expected,
        topic=resources.RUN_STOPPED,
        event_data=data,
        error=RunError(code=code, message=message),
    )
