"""Pre-flight: the gate before any model call (DESIGN.md §1).

Checks that the pinned version exists and its agent is active, that every tool is known and
configured, that the agent's month-to-date spend is below ``limits.monthly_budget_usd``
(:mod:`shared.pipeline.budget`), and that the agent's ``pre_flight`` evals pass on the run's input
(as JSON text).
Pass → ``approved`` and ``run-approved``; fail → ``rejected`` and ``run-stopped``.
"""

from __future__ import annotations

from shared import resources
from shared.composition import Dependencies
from shared.domain.runs import RunStatus
from shared.domain.spec import EvalStage
from shared.errors import NotFoundError
from shared.evals.context import EvalContext
from shared.evals.gate import evaluate
from shared.pipeline.budget import month_to_date_usd
from shared.pipeline.eval_context import grader_labels, input_text
from shared.pipeline.eval_records import record_verdicts
from shared.pipeline.lifecycle import advance, load_spec, stop_run
from shared.ports.run_store import Claim
from shared.tools.registry import TOOLS

_EXPECTED = {RunStatus.REQUESTED}


def handle_run_requested(deps: Dependencies, run_id: str) -> Claim | None:
    """Approve or reject a requested run.

    Args:
        deps: Dependencies.
        run_id: The run named by the ``run-requested`` message.

    Returns:
        The claim, or None when the run is no longer waiting for pre-flight.

    Raises:
        NotFoundError: No such run (the message is malformed or stale).
        TransientError: A dependency failed; redeliver.
    """
    run = deps.runs.get_run(run_id)
    if run.status not in (RunStatus.REQUESTED, RunStatus.APPROVED, RunStatus.REJECTED):
        return None  # past pre-flight: nothing to redo
    try:
        spec = load_spec(deps, run)
        agent = deps.agents.get_agent(run.org_id, run.agent_id)
    except NotFoundError:
        return stop_run(
            deps, run_id, RunStatus.REJECTED, expected=_EXPECTED,
            code="version_not_found", message=f"agent version {run.agent_version} does not exist",
        )  # fmt: skip
    if not agent.active:
        return stop_run(
            deps, run_id, RunStatus.REJECTED, expected=_EXPECTED,
            code="agent_inactive", message="the agent is deactivated",
        )  # fmt: skip
    unknown = [tool.name for tool in spec.tools if tool.name not in TOOLS]
    if unknown:
        return stop_run(
            deps, run_id, RunStatus.REJECTED, expected=_EXPECTED,
            code="tool_unavailable", message=f"unknown tools: {', '.join(unknown)}",
        )  # fmt: skip
    budget = spec.limits.monthly_budget_usd
    # Only a run still waiting decides on the budget: a redelivery that finds it approved must
    # publish the approval again, whatever other runs spent since.
    if budget is not None and run.status == RunStatus.REQUESTED:
        spent = month_to_date_usd(deps, run.org_id, run.agent_id, exclude=run_id)
        if spent >= budget:
            return stop_run(
                deps, run_id, RunStatus.REJECTED, expected=_EXPECTED,
                code="monthly_budget_exceeded",
                message=f"the agent spent {spent:.6f} USD this month of {budget:g} USD",
            )  # fmt: skip
    context = EvalContext(
        prompt=input_text(run),
        model=spec.model.name,
        grader=deps.model,
        grader_labels=grader_labels(run, spec),
    )
    results = [evaluate(e, input_text(run), context) for e in spec.evals_at(EvalStage.PRE_FLIGHT)]
    if run.status == RunStatus.REQUESTED:
        record_verdicts(deps, run, results)
    verdicts = [r.model_dump(mode="json") for r in results]
    blocking = [r.name for r in results if r.blocks]
    if blocking:
        return stop_run(
            deps, run_id, RunStatus.REJECTED, expected=_EXPECTED,
            code="preflight_eval_failed", message=f"pre-flight evals failed: {', '.join(blocking)}",
            event_data={"evals": verdicts},
        )  # fmt: skip
    return advance(
        deps,
        run_id,
        RunStatus.APPROVED,
        expected=_EXPECTED,
        topic=resources.RUN_APPROVED,
        event_data={"evals": verdicts},
    )
