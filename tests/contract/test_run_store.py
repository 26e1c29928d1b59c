"""RunStore contract: one suite, run against the in-memory twin and Firestore (emulator).

Every test works in organisations and runs of its own (``namespace``), so the Firestore half
shares one emulator without cleaning up.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from shared.adapters.firestore_run_store import FirestoreRunStore
from shared.adapters.in_memory_run_store import InMemoryRunStore
from shared.domain.deliveries import DeliveryResult
from shared.domain.runs import Run, RunError, RunStatus, Usage
from shared.domain.steps import FunctionCall, ModelStep, ToolCallResult, ToolCallStatus
from shared.errors import ConflictError, NotFoundError, ValidationError
from shared.ports.run_store import Claim, ClaimOutcome, RunStore

Race = Callable[..., list[Any]]
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
# JSON that Firestore cannot hold as a map: arrays in arrays, an empty key.
AWKWARD_JSON: dict[str, Any] = {
    "matrix": [[1, 2], [3, [4.5, None]]],
    "": "empty key",
    "text": "prix: 12 € — ok",
    "nested": {"flag": True, "list": []},
}


class FakeClock:
    """The stores' clock for leases: stands still until advanced."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "firestore"])
def store(request: pytest.FixtureRequest, clock: FakeClock) -> RunStore:
    if request.param == "memory":
        return InMemoryRunStore(clock=clock)
    return FirestoreRunStore(request.getfixturevalue("firestore_client"), clock=clock)


@pytest.fixture
def org_id(namespace: str) -> str:
    return f"org-{namespace}"


def _run(
    org_id: str, *, agent_id: str = "agent-1", created_at: datetime = T0, **fields: Any
) -> Run:
    return Run(
        run_id=uuid.uuid4().hex,
        org_id=org_id,
        agent_id=agent_id,
        agent_version=1,
        created_at=created_at,
        updated_at=created_at,
        **fields,
    )


def _step(index: int, *, prompt_tokens: int = 10, calls: int = 0) -> ModelStep:
    return ModelStep(
        step=index,
        text=None if calls else "the answer",
        function_calls=tuple(
            FunctionCall(call_index=i, name="http_fetch", args={"url": f"https://e.com/{i}"})
            for i in range(calls)
        ),
        finish_reason="STOP",
        prompt_tokens=prompt_tokens,
        completion_tokens=5,
        latency_s=0.25,
        trace_uri=f"gs://traces/steps/{index:04d}/model",
        completed_at=T0,
    )


def _tool_result(step: int, call_index: int, **fields: Any) -> ToolCallResult:
    values = {
        "name": "http_fetch",
        "status": ToolCallStatus.SUCCEEDED,
        "output": {"status": 200},
        "completed_at": T0,
        **fields,
    }
    return ToolCallResult(step=step, call_index=call_index, **values)


# --- create and get ------------------------------------------------------------------------


def test_a_created_run_is_stored_with_its_requested_event(store: RunStore, org_id: str) -> None:
    run = _run(org_id, input=AWKWARD_JSON)

    created = store.create_run(run)

    assert created == run.model_copy(update={"event_count": 1})
    assert store.get_run(run.run_id) == created
    assert store.get_run(run.run_id, org_id=org_id).input == AWKWARD_JSON
    [event] = store.list_events(run.run_id)
    assert (event.seq, event.type, event.data["agent_id"]) == (1, "run.requested", "agent-1")


def test_timestamps_come_back_as_the_same_instant_in_utc(store: RunStore, org_id: str) -> None:
    berlin = timezone(timedelta(hours=2))
    run = _run(org_id, created_at=datetime(2026, 3, 1, 14, 0, 0, 123456, tzinfo=berlin))

    store.create_run(run)

    stored = store.get_run(run.run_id)
    assert stored.created_at == run.created_at
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.created_at.microsecond == 123456


def test_creating_a_run_twice_conflicts(store: RunStore, org_id: str) -> None:
    run = store.create_run(_run(org_id))

    with pytest.raises(ConflictError) as caught:
        store.create_run(run.model_copy(update={"agent_id": "another"}))

    assert caught.value.code == "run_exists"
    assert store.get_run(run.run_id).agent_id == "agent-1"


@pytest.mark.parametrize("run_id", ["no-such-run", "a/b", "..", "__reserved__"])
def test_a_missing_run_is_not_found(store: RunStore, run_id: str) -> None:
    with pytest.raises(NotFoundError) as caught:
        store.get_run(run_id)

    assert caught.value.code == "run_not_found"
    assert store.list_events(run_id) == []
    assert store.get_step(run_id, 0) is None


def test_a_run_id_that_cannot_be_a_document_id_is_refused(store: RunStore, org_id: str) -> None:
    run = _run(org_id).model_copy(update={"run_id": "a/b"})

    with pytest.raises(ValidationError) as caught:
        store.create_run(run)

    assert caught.value.code == "invalid_id"


def test_another_organisations_run_is_not_found(store: RunStore, org_id: str) -> None:
    run = store.create_run(_run(org_id))

    with pytest.raises(NotFoundError):
        store.get_run(run.run_id, org_id=f"{org_id}-other")

    assert store.get_run(run.run_id, org_id=org_id) == run


# --- transitions ---------------------------------------------------------------------------


def test_a_transition_is_claimed_once_then_already_then_skipped(
    store: RunStore, org_id: str
) -> None:
    run = store.create_run(_run(org_id))

    def approve() -> Claim:
        return store.transition(
            run.run_id,
            RunStatus.APPROVED,
            expected={RunStatus.REQUESTED},
            event_data={"by": "preflight"},
        )

    first = approve()
    again = approve()
    store.transition(run.run_id, RunStatus.RUNNING, expected={RunStatus.APPROVED})
    late = approve()

    assert (first.outcome, first.run.status, first.run.event_count) == (
        ClaimOutcome.CLAIMED,
        RunStatus.APPROVED,
        2,
    )
    assert (again.outcome, again.run) == (ClaimOutcome.ALREADY, first.run)
    assert (late.outcome, late.run.status) == (ClaimOutcome.SKIPPED, RunStatus.RUNNING)
    events = store.list_events(run.run_id)
    assert [e.type for e in events] == ["run.requested", "run.approved", "run.running"]
    assert events[1].data == {"by": "preflight"}
    assert store.get_run(run.run_id).event_count == 3


def test_a_transition_sets_its_updates_with_the_status(store: RunStore, org_id: str) -> None:
    run = store.create_run(_run(org_id))
    started = T0 + timedelta(seconds=3)
    store.transition(run.run_id, RunStatus.APPROVED, expected={RunStatus.REQUESTED})

    claim = store.transition(
        run.run_id, RunStatus.RUNNING, expected=[RunStatus.APPROVED], started_at=started
    )
    failed = store.transition(
        run.run_id,
        RunStatus.FAILED,
        expected={RunStatus.RUNNING},
        error=RunError(code="timeout", message="too slow"),
        output="partial",
    )

    assert claim.run.started_at == started
    stored = store.get_run(run.run_id)
    assert stored == failed.run
    assert (stored.status, stored.error, stored.output) == (
        RunStatus.FAILED,
        RunError(code="timeout", message="too slow"),
        "partial",
    )
    assert stored.started_at == started
    assert stored.updated_at > run.updated_at


def test_a_lone_expected_status_is_one_status_not_its_letters(store: RunStore, org_id: str) -> None:
    run = store.create_run(_run(org_id))

    claim = store.transition(
        run.run_id,
        RunStatus.APPROVED,
        expected=RunStatus.REQUESTED,  # type: ignore[arg-type]  # the misuse under test
    )

    assert claim.outcome == ClaimOutcome.CLAIMED


def test_a_move_the_run_states_forbid_is_skipped(store: RunStore, org_id: str) -> None:
    run = store.create_run(_run(org_id))
    store.transition(run.run_id, RunStatus.CANCELLED, expected={RunStatus.REQUESTED})

    skipped = store.transition(
        run.run_id, RunStatus.APPROVED, expected={RunStatus.REQUESTED, RunStatus.CANCELLED}
    )

    assert (skipped.outcome, skipped.run.status) == (ClaimOutcome.SKIPPED, RunStatus.CANCELLED)
    assert store.get_run(run.run_id).event_count == 2


@pytest.mark.parametrize("updates", [{"event_count": 9}, {"org_id": "x"}, {"colour": "red"}])
def test_a_transition_refuses_fields_the_store_owns_or_the_run_lacks(
    store: RunStore, org_id: str, updates: dict[str, Any]
) -> None:
    run = store.create_run(_run(org_id))

    with pytest.raises(ValidationError) as caught:
        store.transition(run.run_id, RunStatus.APPROVED, expected={RunStatus.REQUESTED}, **updates)

    assert caught.value.code == "invalid_run_update"
    assert store.get_run(run.run_id) == run


def test_a_transition_of_a_missing_run_is_not_found(store: RunStore) -> None:
    with pytest.raises(NotFoundError):
        store.transition("no-such-run", RunStatus.APPROVED, expected={RunStatus.REQUESTED})


def test_of_concurrent_transitions_exactly_one_claims(
    store: RunStore, org_id: str, race: Race
) -> None:
    run = store.create_run(_run(org_id))

    claims = race(
        3, lambda: store.transition(run.run_id, RunStatus.APPROVED, expected={RunStatus.REQUESTED})
    )

    outcomes = sorted(claim.outcome for claim in claims)
    assert outcomes == [ClaimOutcome.ALREADY, ClaimOutcome.ALREADY, ClaimOutcome.CLAIMED]
    assert [e.type for e in store.list_events(run.run_id)] == ["run.requested", "run.approved"]


# --- events --------------------------------------------------------------------------------


def test_events_are_numbered_from_one_and_resume_after_a_seq(store: RunStore, org_id: str) -> None:
    run = store.create_run(_run(org_id))

    appended = [store.append_event(run.run_id, "eval.passed", {"eval": f"e{i}"}) for i in range(4)]

    assert [event.seq for event in appended] == [2, 3, 4, 5]
    assert [event.seq for event in store.list_events(run.run_id)] == [1, 2, 3, 4, 5]
    assert store.list_events(run.run_id, after_seq=3) == appended[2:]
    assert [e.seq for e in store.list_events(run.run_id, after_seq=1, limit=2)] == [2, 3]
    assert store.list_events(run.run_id, after_seq=5) == []
    assert store.get_run(run.run_id).event_count == 5


def test_event_data_round_trips_any_json(store: RunStore, org_id: str) -> None:
    run = store.create_run(_run(org_id))

    event = store.append_event(run.run_id, "step.started", AWKWARD_JSON)

    assert store.list_events(run.run_id, after_seq=1) == [event]
    assert event.data == AWKWARD_JSON


def test_concurrent_appends_get_distinct_gapless_seqs(
    store: RunStore, org_id: str, race: Race
) -> None:
    run = store.create_run(_run(org_id))

    events = race(3, lambda: store.append_event(run.run_id, "eval.passed", {}))

    assert sorted(event.seq for event in events) == [2, 3, 4]
    assert [event.seq for event in store.list_events(run.run_id)] == [1, 2, 3, 4]


def test_appending_to_a_missing_run_is_not_found(store: RunStore) -> None:
    with pytest.raises(NotFoundError):
        store.append_event("no-such-run", "eval.passed", {})


def test_list_events_refuses_a_limit_below_one(store: RunStore, org_id: str) -> None:
    run = store.create_run(_run(org_id))

    with pytest.raises(ValidationError):
        store.list_events(run.run_id, limit=0)


# --- steps, tool results, deliveries -------------------------------------------------------


def test_a_step_is_stored_once_and_its_tokens_counted_once(store: RunStore, org_id: str) -> None:
    run = store.create_run(_run(org_id))
    step = _step(0, calls=2)

    stored, created = store.record_step(run.run_id, step)
    again, created_again = store.record_step(run.run_id, _step(0, prompt_tokens=999))

    assert (stored, created) == (step, True)
    assert (again, created_again) == (step, False)
    assert store.get_step(run.run_id, 0) == step
    assert store.get_step(run.run_id, 1) is None
    usage = store.get_run(run.run_id).usage
    assert usage == Usage(prompt_tokens=10, completion_tokens=5, model_steps=1)
    events = store.list_events(run.run_id, after_seq=1)
    assert [(e.type, e.data["step"]) for e in events] == [("step.completed", 0)]


def test_steps_are_listed_in_step_order(store: RunStore, org_id: str) -> None:
    run = store.create_run(_run(org_id))
    for index in (10, 2, 0):
        store.record_step(run.run_id, _step(index))

    assert [step.step for step in store.list_steps(run.run_id)] == [0, 2, 10]
    assert store.get_run(run.run_id).usage.prompt_tokens == 30


def test_concurrent_records_of_one_step_store_it_once(
    store: RunStore, org_id: str, race: Race
) -> None:
    run = store.create_run(_run(org_id))

    outcomes = race(3, lambda: store.record_step(run.run_id, _step(0)))

    assert sorted(created for _, created in outcomes) == [False, False, True]
    assert store.get_run(run.run_id).usage.model_steps == 1


def test_a_step_of_a_missing_run_is_not_found(store: RunStore) -> None:
    with pytest.raises(NotFoundError):
        store.record_step("no-such-run", _step(0))


def test_a_tool_result_is_stored_once_per_step_and_call(store: RunStore, org_id: str) -> None:
    run = store.create_run(_run(org_id))
    first = _tool_result(0, 1, output=AWKWARD_JSON)
    for result in (first, _tool_result(1, 0), _tool_result(0, 0)):
        assert store.record_tool_result(run.run_id, result) == (result, True)

    duplicate = store.record_tool_result(
        run.run_id, _tool_result(0, 1, status=ToolCallStatus.FAILED, error="late retry")
    )

    assert duplicate == (first, False)
    assert [(r.step, r.call_index) for r in store.list_tool_results(run.run_id)] == [
        (0, 0),
        (0, 1),
        (1, 0),
    ]
    assert [r.call_index for r in store.list_tool_results(run.run_id, step=0)] == [0, 1]
    assert store.list_tool_results(run.run_id, step=0)[1].output == AWKWARD_JSON
    assert store.list_tool_results(run.run_id, step=7) == []
    assert store.get_run(run.run_id).usage.tool_calls == 3
    events = store.list_events(run.run_id, after_seq=1)
    assert [(e.type, e.data["step"], e.data["call_index"]) for e in events] == [
        ("tool_call.completed", 0, 1),
        ("tool_call.completed", 1, 0),
        ("tool_call.completed", 0, 0),
    ]


def test_a_steps_tool_results_fan_in_under_concurrency(
    store: RunStore, org_id: str, race: Race
) -> None:
    run = store.create_run(_run(org_id))
    calls = iter([0, 1, 0, 1])
    lock = threading.Lock()

    def record() -> bool:
        with lock:
            call_index = next(calls)
        return store.record_tool_result(run.run_id, _tool_result(0, call_index))[1]

    created = race(4, record)

    assert sorted(created) == [False, False, True, True]
    assert [r.call_index for r in store.list_tool_results(run.run_id, step=0)] == [0, 1]
    assert [event.seq for event in store.list_events(run.run_id)] == [1, 2, 3]


def test_a_delivery_is_stored_once_per_target(store: RunStore, org_id: str) -> None:
    run = store.create_run(_run(org_id))

    def delivery(target_index: int, succeeded: bool = True) -> DeliveryResult:
        return DeliveryResult(
            target_index=target_index,
            url=f"https://example.com/hook/{target_index}",
            succeeded=succeeded,
            status_code=200 if succeeded else 500,
            webhook_id=f"msg_{run.run_id}_{target_index}",
            completed_at=T0,
        )

    assert store.record_delivery(run.run_id, delivery(1)) == (delivery(1), True)
    assert store.record_delivery(run.run_id, delivery(0)) == (delivery(0), True)
    assert store.record_delivery(run.run_id, delivery(1, False)) == (delivery(1), False)

    assert store.list_deliveries(run.run_id) == [delivery(0), delivery(1)]
    events = store.list_events(run.run_id, after_seq=1)
    assert [(e.type, e.data["target_index"]) for e in events] == [
        ("delivery.completed", 1),
        ("delivery.completed", 0),
    ]


# --- leases --------------------------------------------------------------------------------


def test_a_lease_is_one_holders_until_released(store: RunStore, org_id: str) -> None:
    run = store.create_run(_run(org_id))

    assert store.acquire_lease(run.run_id, "step-0", "a", ttl_s=30) is True
    assert store.acquire_lease(run.run_id, "step-0", "b", ttl_s=30) is False
    assert store.acquire_lease(run.run_id, "step-0", "a", ttl_s=30) is True  # a renewal
    assert store.acquire_lease(run.run_id, "step-0-call-0", "b", ttl_s=30) is True  # other work
    store.release_lease(run.run_id, "step-0", "b")  # not b's: nothing happens
    assert store.acquire_lease(run.run_id, "step-0", "b", ttl_s=30) is False

    store.release_lease(run.run_id, "step-0", "a")

    assert store.acquire_lease(run.run_id, "step-0", "b", ttl_s=30) is True
    store.release_lease(run.run_id, "no-such-lease", "b")
    assert [e.type for e in store.list_events(run.run_id)] == ["run.requested"]  # not logged


def test_an_expired_lease_is_taken_over(store: RunStore, org_id: str, clock: FakeClock) -> None:
    run = store.create_run(_run(org_id))
    assert store.acquire_lease(run.run_id, "delivery-0", "a", ttl_s=30) is True

    clock.advance(29.5)
    assert store.acquire_lease(run.run_id, "delivery-0", "b", ttl_s=30) is False
    clock.advance(0.5)
    assert store.acquire_lease(run.run_id, "delivery-0", "b", ttl_s=30) is True

    store.release_lease(run.run_id, "delivery-0", "a")  # too late: b's now
    assert store.acquire_lease(run.run_id, "delivery-0", "a", ttl_s=30) is False
    assert store.acquire_lease(run.run_id, "delivery-0", "c", ttl_s=30) is False


def test_of_concurrent_acquirers_exactly_one_holds_the_lease(
    store: RunStore, org_id: str, race: Race
) -> None:
    run = store.create_run(_run(org_id))

    held = race(3, lambda: store.acquire_lease(run.run_id, "step-1", uuid.uuid4().hex, 30))

    assert sorted(held) == [False, False, True]


@pytest.mark.parametrize(
    ("key", "holder", "ttl_s", "code"),
    [
        ("a/b", "a", 30.0, "invalid_id"),
        ("__lease__", "a", 30.0, "invalid_id"),
        ("step-0", "", 30.0, "invalid_lease"),
        ("step-0", "a", 0.0, "invalid_lease"),
    ],
)
def test_a_lease_no_document_can_hold_is_refused(
    store: RunStore, org_id: str, key: str, holder: str, ttl_s: float, code: str
) -> None:
    run = store.create_run(_run(org_id))

    with pytest.raises(ValidationError) as caught:
        store.acquire_lease(run.run_id, key, holder, ttl_s)

    assert caught.value.code == code
    store.release_lease(run.run_id, key, holder)  # nothing to release


# --- listing -------------------------------------------------------------------------------


def _all_pages(read: Callable[[str | None], Any]) -> list[list[str]]:
    pages, token = [], None
    while True:
        page = read(token)
        pages.append([run.run_id for run in page.items])
        token = page.next_page_token
        if token is None:
            return pages


def test_runs_are_listed_newest_first_in_pages(store: RunStore, org_id: str) -> None:
    minutes = [0, 3, 1, 3, 2]  # two runs created at the same instant
    runs = [store.create_run(_run(org_id, created_at=T0 + timedelta(minutes=m))) for m in minutes]
    newest_first = sorted(runs, key=lambda run: (run.created_at, run.run_id), reverse=True)

    pages = _all_pages(lambda token: store.list_runs(org_id, page_size=2, page_token=token))

    ids = [run.run_id for run in newest_first]
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]
    assert store.list_runs(org_id, page_size=5).next_page_token is None


def test_runs_are_filtered_by_agent_and_status_within_the_org(store: RunStore, org_id: str) -> None:
    approved = store.create_run(_run(org_id, agent_id="a1"))
    store.transition(approved.run_id, RunStatus.APPROVED, expected={RunStatus.REQUESTED})
    requested = store.create_run(_run(org_id, agent_id="a1", created_at=T0 + timedelta(1)))
    other_agent = store.create_run(_run(org_id, agent_id="a2"))
    store.create_run(_run(f"{org_id}-other", agent_id="a1"))

    def listed(**filters: Any) -> set[str]:
        return {run.run_id for run in store.list_runs(org_id, **filters).items}

    assert listed() == {approved.run_id, requested.run_id, other_agent.run_id}
    assert listed(agent_id="a1") == {approved.run_id, requested.run_id}
    assert listed(status=RunStatus.APPROVED) == {approved.run_id}
    assert listed(agent_id="a1", status=RunStatus.REQUESTED) == {requested.run_id}
    assert listed(agent_id="a3") == set()


def _token(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        _token("runs", "yesterday", "r1"),
        _token("runs", "2026-03-01T12:00:00", "r1"),  # naive
        _token("runs", "2026-03-01T12:00:00+00:00", "a/b"),
        _token("agents", "name"),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_page_token_the_store_did_not_issue_is_refused(store: RunStore, token: str) -> None:
    with pytest.raises(ValidationError) as caught:
        store.list_runs("org", page_token=token)

    assert caught.value.code == "invalid_page_token"


def test_a_page_size_below_one_is_refused(store: RunStore) -> None:
    with pytest.raises(ValidationError) as caught:
        store.list_runs("org", page_size=0)

    assert caught.value.code == "invalid_page_size"


# --- stalled runs (the sweeper's query) ----------------------------------------------------


def test_list_stalled_finds_runs_in_the_statuses_not_updated_since_the_cutoff(
    store: RunStore, org_id: str
) -> None:
    old = store.create_run(_run(org_id, created_at=T0 - timedelta(hours=1)))
    older = store.create_run(_run(org_id, created_at=T0 - timedelta(hours=2)))
    recent = store.create_run(_run(org_id, created_at=T0))
    done = store.create_run(_run(org_id, created_at=T0 - timedelta(hours=3)))
    store.transition(done.run_id, RunStatus.REJECTED, expected={RunStatus.REQUESTED})
    mine = {old.run_id, older.run_id, recent.run_id, done.run_id}

    stalled = store.list_stalled({RunStatus.REQUESTED}, T0 - timedelta(minutes=1), limit=1000)

    assert [r.run_id for r in stalled if r.run_id in mine] == [older.run_id, old.run_id]
    assert all(r.updated_at < T0 - timedelta(minutes=1) for r in stalled)
    assert all(r.status is RunStatus.REQUESTED for r in stalled)
    assert len(store.list_stalled({RunStatus.REQUESTED}, T0, limit=1)) == 1
