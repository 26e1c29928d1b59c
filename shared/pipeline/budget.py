"""Spend limits: ``limits.max_cost_usd`` per run and ``limits.monthly_budget_usd`` per agent.

Costs come from the price table of :mod:`shared.evals.pricing` (each model step's tokens priced
on their own, so a step with a long prompt gets the long-prompt rate). A model the table does
not know cannot be priced: its runs are not stopped for cost and count nothing towards the
month, which the docs say.

The month-to-date spend of an agent is summed at pre-flight from its runs of the calendar month
(UTC), newest first, through the ``runs`` index on ``(org_id, agent_id, created_at)``: no
counter document that every run would write. A run's tokens are its ``usage`` totals, priced at
its pinned version's model.
"""

from __future__ import annotations

from datetime import datetime

from shared.composition import Dependencies
from shared.domain.runs import Run
from shared.domain.spec import AgentSpec
from shared.errors import NotFoundError
from shared.evals.pricing import cost_usd
from shared.pipeline.lifecycle import load_spec

_PAGE = 200


def run_cost_usd(deps: Dependencies, run: Run, spec: AgentSpec) -> float | None:
    """What ``run``'s model steps so far cost in USD, or None when its model has no price."""
    total = 0.0
    for step in deps.runs.list_steps(run.run_id):
        cost = cost_usd(spec.model.name, step.prompt_tokens, step.completion_tokens)
        if cost is None:
            return None
        total += cost
    return total


def month_start(now: datetime) -> datetime:
    """Midnight UTC of the first day of ``now``'s month."""
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_to_date_usd(deps: Dependencies, org_id: str, agent_id: str, exclude: str = "") -> float:
    """What the agent's runs created this calendar month (UTC) cost, in USD.

    Args:
        deps: Dependencies.
        org_id: The agent's organisation.
        agent_id: The agent.
        exclude: A run id not to count (the run being checked).

    Raises:
        TransientError: The store is unavailable.
    """
    since = month_start(deps.clock())
    specs: dict[int, AgentSpec | None] = {}
    total = 0.0
    token: str | None = None
    while True:
        page = deps.runs.list_runs(org_id, agent_id=agent_id, page_size=_PAGE, page_token=token)
        for run in page.items:
            if run.created_at < since:
                return total
            if run.run_id == exclude or run.usage.model_steps == 0:
                continue
            if run.agent_version not in specs:
                specs[run.agent_version] = _spec_or_none(deps, run)
            spec = specs[run.agent_version]
            if spec is not None:
                usage = run.usage
                total += (
                    cost_usd(spec.model.name, usage.prompt_tokens, usage.completion_tokens) or 0
                )
        token = page.next_page_token
        if token is None:
            return total


def _spec_or_none(deps: Dependencies, run: Run) -> AgentSpec | None:
    try:
        return load_spec(deps, run)
    except NotFoundError:
        return None
