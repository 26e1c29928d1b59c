"""The sweeper runs on its own: the provisioned Cloud Scheduler job publishes ``sweep-requested``
and the ``sweeper`` function moves again a run whose message was lost, and fails one stalled
past its time limit. The job is run now with the Scheduler emulator's RunJob (it also fires
every minute), so nothing here calls :func:`shared.pipeline.sweeper.sweep` itself."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from shared import resources
from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies
from shared.domain.runs import Run, RunStatus
from shared.domain.spec import load_agent_spec
from shared.gcp_clients import scheduler_client
from shared.settings import Settings

SPEC = {
    "agent": {
        "name": "sweeper-schedule-check",
        "system_prompt": "Answer briefly.",
        "trigger": {"type": "manual"},
        "limits": {"timeout_s": 3600},
    }
}


def _stalled_run(deps: Dependencies, org_id: str, agent_id: str, age_s: float) -> Run:
    """A ``requested`` run created and last updated ``age_s`` seconds ago, never announced."""
    agent = deps.agents.get_agent(org_id, agent_id)
    then = deps.clock() - timedelta(seconds=age_s)
    return deps.runs.create_run(
        Run(
            run_id=uuid.uuid4().hex, org_id=org_id, agent_id=agent_id,
            agent_version=agent.latest_version, input={}, created_at=then, updated_at=then,
        )
    )  # fmt: skip


def _wait(what: str, done: Callable[[], bool], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout_s:g} s"
        time.sleep(0.5)


def test_the_scheduled_sweep_moves_a_lost_run_and_fails_a_late_one(
    deps: Dependencies, stack: Settings
) -> None:
    org, _key = create_org_with_key(deps, "Sweeper Schedule Co")
    agent, _version = deps.agents.create_agent(org.org_id, load_agent_spec(SPEC))
    # Past the sweeper's 300 s threshold; within 3600 s + 300 s of its start, so moved again.
    lost = _stalled_run(deps, org.org_id, agent.agent_id, age_s=400)
    # Past its 3600 s time limit by more than the threshold, so failed.
    late = _stalled_run(deps, org.org_id, agent.agent_id, age_s=2 * 3600)
    client = scheduler_client(stack)
    name = client.job_path(stack.project_id, stack.region, resources.SWEEP_JOB_ID)
    job = client.get_job(name=name)
    assert (job.schedule, job.time_zone) == (resources.SWEEP_SCHEDULE, resources.SWEEP_TIME_ZONE)
    assert job.pubsub_target.topic_name.endswith(f"/topics/{resources.SWEEP_REQUESTED}")

    client.run_job(name=name)

    _wait("the late run's failure", lambda: deps.runs.get_run(late.run_id).status.terminal)
    failed = deps.runs.get_run(late.run_id)
    assert failed.status is RunStatus.FAILED
    assert failed.error is not None and failed.error.code == "timeout"
    _wait(
        "the lost run's republish",
        lambda: deps.runs.get_run(lost.run_id).status is not RunStatus.REQUESTED,
    )
