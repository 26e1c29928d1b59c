"""IdentityStore contract: one suite, run against the in-memory twin and Firestore (emulator)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.firestore_identity_store import FirestoreIdentityStore
from shared.adapters.in_memory_identity_store import InMemoryIdentityStore
from shared.domain.agents import ApiKey
from shared.errors import ConflictError, NotFoundError, ValidationError
from shared.ports.identity_store import IdentityStore


@pytest.fixture(params=["memory", "firestore"])
def store(request: pytest.FixtureRequest) -> IdentityStore:
    if request.param == "memory":
        return InMemoryIdentityStore()
    return FirestoreIdentityStore(request.getfixturevalue("firestore_client"))


def _key(key_id: str, org_id: str = "org-1", secret_hash: str = "ab" * 32) -> ApiKey:
    return ApiKey(
        key_id=key_id,
        org_id=org_id,
        secret_hash=secret_hash,
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def test_an_organisation_gets_a_random_id_and_can_be_read(store: IdentityStore) -> None:
    before = datetime.now(UTC)

    org = store.create_org("Acme")
    other = store.create_org("Acme")

    assert org.org_id != other.org_id
    assert len(org.org_id) == 32
    assert store.get_org(org.org_id) == org
    assert (org.name, org.created_at.utcoffset()) == ("Acme", timedelta(0))
    assert before <= org.created_at <= datetime.now(UTC)


@pytest.mark.parametrize("org_id", ["no-such-org", "a/b", "."])
def test_a_missing_organisation_is_not_found(store: IdentityStore, org_id: str) -> None:
    with pytest.raises(NotFoundError) as caught:
        store.get_org(org_id)

    assert caught.value.code == "org_not_found"


def test_an_api_key_record_is_found_by_its_public_id(store: IdentityStore, namespace: str) -> None:
    key = _key(f"key{namespace}")

    store.add_api_key(key)

    assert store.find_api_key(key.key_id) == key
    assert store.find_api_key(f"other{namespace}") is None
    assert store.find_api_key("a/b") is None


def test_a_second_key_with_the_same_id_conflicts(store: IdentityStore, namespace: str) -> None:
    key = _key(f"key{namespace}")
    store.add_api_key(key)

    with pytest.raises(ConflictError) as caught:
        store.add_api_key(_key(key.key_id, org_id="org-2", secret_hash="cd" * 32))

    assert caught.value.code == "api_key_exists"
    assert store.find_api_key(key.key_id) == key


def test_a_key_id_that_cannot_be_a_document_id_is_refused(store: IdentityStore) -> None:
    with pytest.raises(ValidationError) as caught:
        store.add_api_key(_key("a/b"))

    assert caught.value.code == "invalid_id"


def test_an_organisations_keys_are_listed_oldest_first_and_only_its_own(
    store: IdentityStore, namespace: str
) -> None:
    org = f"org{namespace}"
    newer = _key(f"b{namespace}", org_id=org).model_copy(
        update={"created_at": datetime(2026, 3, 2, tzinfo=UTC), "scopes": ("runs:read",)}
    )
    older = _key(f"a{namespace}", org_id=org)
    for key in (newer, older, _key(f"c{namespace}", org_id=f"other{namespace}")):
        store.add_api_key(key)

    assert store.list_api_keys(org) == (older, newer)


def test_revoking_expiring_and_recording_use_change_only_their_fields(
    store: IdentityStore, namespace: str
) -> None:
    key = _key(f"key{namespace}").model_copy(update={"scopes": ("admin",), "name": "ci"})
    store.add_api_key(key)
    at = datetime(2026, 4, 1, tzinfo=UTC)

    store.record_api_key_use(key.key_id, at)
    store.revoke_api_key(key.key_id, at + timedelta(seconds=1))
    store.record_api_key_use(key.key_id, at + timedelta(seconds=2))  # cannot undo the revocation
    store.expire_api_key(key.key_id, at + timedelta(days=1), "successor")

    assert store.find_api_key(key.key_id) == key.model_copy(
        update={
            "revoked": True,
            "revoked_at": at + timedelta(seconds=1),
            "last_used_at": at + timedelta(seconds=2),
            "expires_at": at + timedelta(days=1),
            "rotated_to": "successor",
        }
    )


def test_changing_a_missing_key_is_not_found_but_recording_its_use_is_ignored(
    store: IdentityStore, namespace: str
) -> None:
    at = datetime(2026, 4, 1, tzinfo=UTC)

    with pytest.raises(NotFoundError):
        store.revoke_api_key(f"missing{namespace}", at)
    with pytest.raises(NotFoundError):
        store.expire_api_key(f"missing{namespace}", at, "x")
    store.record_api_key_use(f"missing{namespace}", at)

    assert store.find_api_key(f"missing{namespace}") is None
