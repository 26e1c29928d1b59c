"""Spend limits: a run's cost so far and an agent's month-to-date spend (shared.pipeline.budget)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies
from shared.domain.spec import load_agent_spec
from shared.domain.steps import ModelStep
from shared.pipeline.budget import month_start, month_to_date_usd, run_cost_usd
from shared.pipeline.trigger import request_run
from tests.unit.api_harness import in_memory_dependencies

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)


def _spec(model: str) -> str:
    return f"agent: {{name: pricer, system_prompt: Price., model: {{name: {model}}}}}"


def _at(deps: Dependencies, moment: datetime) -> Dependencies:
    return dataclasses.replace(deps, clock=lambda: moment)


def _run_with_steps(deps: Dependencies, org_id: str, agent_id: str, *tokens: int) -> str:
    run = request_run(deps, org_id, agent_id, {})
    for index, count in enumerate(tokens):
        step = ModelStep(
            step=index, prompt_tokens=count, completion_tokens=count, completed_at=deps.clock()
        )
        deps.runs.record_step(run.run_id, step)
    return run.run_id


@pytest.mark.parametrize(
    ("model", "expected"),
    [("gemini-2.5-flash", 2 * (0.30 + 2.50)), ("gemini-2.5-flash-preview-05-20", 5.6)],
)
def test_a_runs_cost_prices_each_step(model: str, expected: float) -> None:
    deps = _at(in_memory_dependencies(), NOW)
    org, _key = create_org_with_key(deps, "Acme")
    agent, version = deps.agents.create_agent(org.org_id, load_agent_spec(_spec(model)))
    run_id = _run_with_steps(deps, org.org_id, agent.agent_id, 1_000_000, 1_000_000)

    cost = run_cost_usd(deps, deps.runs.get_run(run_id), version.spec)

    assert cost == pytest.approx(expected)


def test_a_model_without_a_price_costs_nothing_known() -> None:
    deps = _at(in_memory_dependencies(), NOW)
    org, _key = create_org_with_key(deps, "Acme")
    agent, version = deps.agents.create_agent(org.org_id, load_agent_spec(_spec("gemma-local")))
    run_id = _run_with_steps(deps, org.org_id, agent.agent_id, 1_000_000)

    assert run_cost_usd(deps, deps.runs.get_run(run_id), version.spec) is None
    assert month_to_date_usd(deps, org.org_id, agent.agent_id) == 0.0


def test_the_month_to_date_counts_this_months_runs_of_the_agent_only() -> None:
    base = in_memory_dependencies()
    deps = _at(base, NOW)
    org, _key = create_org_with_key(deps, "Acme")
    agent, _ = deps.agents.create_agent(org.org_id, load_agent_spec(_spec("gemini-2.5-flash")))
    other, _ = deps.agents.create_agent(
        org.org_id, load_agent_spec(_spec("gemini-2.5-flash").replace("pricer", "other"))
    )
    _run_with_steps(_at(base, datetime(2025, 2, 28, 23, 59, tzinfo=UTC)), org.org_id,
                    agent.agent_id, 1_000_000)  # fmt: skip
    _run_with_steps(_at(base, month_start(NOW)), org.org_id, agent.agent_id, 1_000_000)
    _run_with_steps(deps, org.org_id, other.agent_id, 1_000_000)
    current = _run_with_steps(deps, org.org_id, agent.agent_id, 1_000_000)

    assert month_to_date_usd(deps, org.org_id, agent.agent_id) == pytest.approx(2 * 2.80)
    assert month_to_date_usd(deps, org.org_id, agent.agent_id, exclude=current) == pytest.approx(
        2.80
    )
