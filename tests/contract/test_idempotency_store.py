"""IdempotencyStore contract: one suite, run against the in-memory twin and Firestore (emulator)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.firestore_idempotency_store import FirestoreIdempotencyStore
from shared.adapters.in_memory_idempotency_store import InMemoryIdempotencyStore
from shared.domain.triggers import IdempotencyRecord, ReceiptKind, RecordState
from shared.errors import NotFoundError
from shared.ports.idempotency_store import IdempotencyStore

Race = Callable[..., list[Any]]
NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "firestore"])
def store(request: pytest.FixtureRequest) -> IdempotencyStore:
    if request.param == "memory":
        return InMemoryIdempotencyStore()
    return FirestoreIdempotencyStore(request.getfixturevalue("firestore_client"))


def _record(
    scope: str,
    key: str = "k",
    run_id: str = "run-1",
    fingerprint: str = "f1",
    kind: ReceiptKind = ReceiptKind.IDEMPOTENCY_KEY,
    now: datetime = NOW,
) -> IdempotencyRecord:
    return IdempotencyRecord(
        kind=kind,
        scope=scope,
        key=key,
        fingerprint=fingerprint,
        run_id=run_id,
        created_at=now,
        locked_until=now + timedelta(seconds=60),
        expires_at=now + kind.retention,
    )


def test_the_first_begin_claims_and_a_second_finds_it_in_flight(
    store: IdempotencyStore, namespace: str
) -> None:
    first, claimed = store.begin(_record(namespace), NOW)
    second, again = store.begin(_record(namespace, run_id="run-2"), NOW + timedelta(seconds=1))

    assert claimed and first.run_id == "run-1"
    assert not again
    assert second == first and second.state == RecordState.IN_FLIGHT


def test_complete_stores_the_response_for_replay(store: IdempotencyStore, namespace: str) -> None:
    store.begin(_record(namespace), NOW)

    done = store.complete(
        ReceiptKind.IDEMPOTENCY_KEY, namespace, "k", 202, {"run_id": "run-1", "nested": [[1], []]}
    )
    replay, claimed = store.begin(_record(namespace, run_id="run-2"), NOW)

    assert not claimed
    assert done.state == replay.state == RecordState.COMPLETED
    assert replay.response_status == 202
    assert replay.response == {"run_id": "run-1", "nested": [[1], []]}


def test_kinds_and_scopes_keep_keys_apart(store: IdempotencyStore, namespace: str) -> None:
    claims = [
        store.begin(_record(scope, kind=kind), NOW)[1]
        for kind in ReceiptKind
        for scope in (f"{namespace}-a", f"{namespace}-b")
    ]

    assert claims == [True] * 6


def test_an_expired_record_frees_its_key(store: IdempotencyStore, namespace: str) -> None:
    store.begin(_record(namespace), NOW)
    store.complete(ReceiptKind.IDEMPOTENCY_KEY, namespace, "k", 202, {"run_id": "run-1"})
    later = NOW + timedelta(hours=24, seconds=1)

    fresh, claimed = store.begin(_record(namespace, run_id="run-2", now=later), later)

    assert claimed and fresh.run_id == "run-2" and fresh.state == RecordState.IN_FLIGHT


def test_a_stalled_claim_is_taken_over_with_its_run_id_by_the_same_request_only(
    store: IdempotencyStore, namespace: str
) -> None:
    store.begin(_record(namespace), NOW)
    after_lease = NOW + timedelta(seconds=61)

    other, other_claimed = store.begin(
        _record(namespace, run_id="run-3", fingerprint="f2", now=after_lease), after_lease
    )
    taken, claimed = store.begin(_record(namespace, run_id="run-2", now=after_lease), after_lease)

    assert not other_claimed and other.fingerprint == "f1"
    assert claimed and taken.run_id == "run-1"
    assert taken.locked_until == after_lease + timedelta(seconds=60)
    _, again = store.begin(_record(namespace, run_id="run-4", now=after_lease), after_lease)
    assert not again


def test_release_frees_an_in_flight_key_but_keeps_a_completed_one(
    store: IdempotencyStore, namespace: str
) -> None:
    store.begin(_record(namespace, key="a"), NOW)
    store.begin(_record(namespace, key="b"), NOW)
    store.complete(ReceiptKind.IDEMPOTENCY_KEY, namespace, "b", 202, {})

    store.release(ReceiptKind.IDEMPOTENCY_KEY, namespace, "a", "someone-else")
    _, still_held = store.begin(_record(namespace, key="a", run_id="x"), NOW)
    store.release(ReceiptKind.IDEMPOTENCY_KEY, namespace, "a", "run-1")
    store.release(ReceiptKind.IDEMPOTENCY_KEY, namespace, "b", "run-1")
    _, freed = store.begin(_record(namespace, key="a", run_id="x"), NOW)
    _, kept = store.begin(_record(namespace, key="b", run_id="x"), NOW)

    assert (still_held, freed, kept) == (False, True, False)


def test_completing_an_unknown_record_is_not_found(store: IdempotencyStore, namespace: str) -> None:
    with pytest.raises(NotFoundError):
        store.complete(ReceiptKind.WEBHOOK_RECEIPT, namespace, "never", 202, {})


def test_keys_of_any_text_are_stored(store: IdempotencyStore, namespace: str) -> None:
    for key in ("a/b/../c", "__reserved__", "ключ", "x" * 1500, " "):
        _, claimed = store.begin(_record(namespace, key=key), NOW)
        assert claimed, key


def test_of_twenty_concurrent_begins_exactly_one_claims(
    store: IdempotencyStore, namespace: str, race: Race
) -> None:
    outcomes = race(20, lambda: store.begin(_record(namespace), NOW))

    assert [claimed for _record, claimed in outcomes].count(True) == 1
    assert {stored.run_id for stored, _claimed in outcomes} == {"run-1"}
