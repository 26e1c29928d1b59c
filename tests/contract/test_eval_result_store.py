"""EvalResultStore contract: one suite, run against the in-memory twin and Firestore (emulator)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.firestore_eval_result_store import FirestoreEvalResultStore
from shared.adapters.in_memory_eval_result_store import InMemoryEvalResultStore
from shared.domain.eval_results import EvalRecord, eval_record_id
from shared.domain.model_io import ModelRequest, ModelResponse
from shared.domain.spec import FailureAction, ModelConfig
from shared.evals.results import AssertionResult, GraderExchange
from shared.ports.eval_result_store import EvalResultStore

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "firestore"])
def store(request: pytest.FixtureRequest) -> EvalResultStore:
    if request.param == "memory":
        return InMemoryEvalResultStore()
    return FirestoreEvalResultStore(request.getfixturevalue("firestore_client"))


def _record(
    namespace: str,
    run: str = "r1",
    name: str = "accuracy",
    stage: str = "post_generation",
    passed: bool = True,
    at: datetime = NOW,
    agent: str = "a1",
) -> EvalRecord:
    run_id = f"{namespace}-{run}"
    graded = AssertionResult(
        type="llm-rubric",
        passed=passed,
        score=1.0 if passed else 0.0,
        weight=1.0,
        reason="graded",
        grader=(
            GraderExchange(
                request=ModelRequest(
                    model=ModelConfig(name="gemini-2.0-flash"), system_prompt="Grade.", messages=()
                ),
                response=ModelResponse(text='{"pass": true, "score": 1, "reason": "ok"}'),
            ),
        ),
        # Nested lists and an empty key: what Firestore refuses in a map field.
        assertions=(AssertionResult(type="equals", passed=True, score=1, weight=1, reason=""),),
    )
    return EvalRecord(
        record_id=eval_record_id(run_id, stage, name),
        run_id=run_id,
        org_id=f"{namespace}-org",
        agent_id=f"{namespace}-{agent}",
        agent_version=1,
        stage=stage,
        name=name,
        passed=passed,
        score=1.0 if passed else 0.0,
        reason="" if passed else "failed",
        severity="critical",
        action=FailureAction.BLOCK_DELIVERY,
        named_scores={"": 0.5, "accuracy": 1.0},
        assertions=(graded,),
        created_at=at,
    )


def test_a_runs_verdicts_come_back_whole_oldest_first(
    store: EvalResultStore, namespace: str
) -> None:
    later = _record(namespace, name="a_later", at=NOW + timedelta(seconds=5))
    first = _record(namespace, name="z_first", stage="pre_flight")
    store.record_results([later, first, _record(namespace, run="other")])

    found = store.list_run_results(f"{namespace}-r1")

    assert found == [first, later]
    assert found[0].assertions[0].grader[0].response is not None


def test_recording_a_verdict_again_replaces_it(store: EvalResultStore, namespace: str) -> None:
    store.record_results([_record(namespace, passed=False)])
    store.record_results([_record(namespace, passed=True, at=NOW + timedelta(seconds=1))])

    found = store.list_run_results(f"{namespace}-r1")

    assert [(r.passed, r.created_at) for r in found] == [(True, NOW + timedelta(seconds=1))]


def test_an_agents_verdicts_in_a_window_newest_first(
    store: EvalResultStore, namespace: str
) -> None:
    old = _record(namespace, run="old", at=NOW - timedelta(hours=2))
    edge = _record(namespace, run="edge", at=NOW - timedelta(hours=1))
    new = _record(namespace, run="new", at=NOW)
    foreign = _record(namespace, run="foreign", agent="a2")
    store.record_results([old, edge, new, foreign])

    found = store.list_agent_results(
        f"{namespace}-org", f"{namespace}-a1", NOW - timedelta(hours=1)
    )
    limited = store.list_agent_results(f"{namespace}-org", f"{namespace}-a1", old.created_at, 2)

    assert found == [new, edge]
    assert limited == [new, edge]
    assert store.list_agent_results("another-org", f"{namespace}-a1", old.created_at) == []
