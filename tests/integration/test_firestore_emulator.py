"""The gcloud Firestore emulator, reached through google-cloud-firestore.

The transaction test is the pattern every pipeline stage relies on: claim a run's transition
(expected status → next status) in a transaction, so that of two deliveries of one event only
one does the work.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from google.cloud import firestore

from shared.settings import Settings


@pytest.fixture(scope="module")
def db(stack: Settings) -> firestore.Client:
    return firestore.Client(project=stack.project_id)


def _claim(db: firestore.Client, ref: firestore.DocumentReference, expected: str, new: str) -> bool:
    @firestore.transactional
    def claim(transaction: firestore.Transaction) -> bool:
        snapshot = ref.get(transaction=transaction)
        if snapshot.get("status") != expected:
            return False
        transaction.update(ref, {"status": new, "claimed_by": threading.get_ident()})
        return True

    return bool(claim(db.transaction()))


def test_a_document_round_trips(db: firestore.Client) -> None:
    ref = db.collection("emulator_checks").document(uuid.uuid4().hex)
    ref.set({"name": "run", "tokens": 12, "tags": ["a", "b"]})

    assert ref.get().to_dict() == {"name": "run", "tokens": 12, "tags": ["a", "b"]}


def test_only_one_of_concurrent_transactions_claims_a_transition(db: firestore.Client) -> None:
    ref = db.collection("emulator_checks").document(uuid.uuid4().hex)
    ref.set({"status": "requested"})
    outcomes: list[bool] = []
    lock = threading.Lock()

    def contender() -> None:
        won = _claim(db, ref, expected="requested", new="approved")
        with lock:
            outcomes.append(won)

    threads = [threading.Thread(target=contender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == [False, False, False, True]
    assert ref.get().get("status") == "approved"
