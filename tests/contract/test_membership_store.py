"""MembershipStore contract: one suite, run against the in-memory twin and Firestore (emulator)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.adapters.firestore_membership_store import FirestoreMembershipStore
from shared.adapters.in_memory_membership_store import InMemoryMembershipStore
from shared.domain.members import Membership, Role
from shared.errors import ValidationError
from shared.ports.membership_store import MembershipStore

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "firestore"])
def store(request: pytest.FixtureRequest) -> MembershipStore:
    if request.param == "memory":
        return InMemoryMembershipStore()
    return FirestoreMembershipStore(request.getfixturevalue("firestore_client"))


def _member(org_id: str, uid: str, role: Role = "viewer") -> Membership:
    return Membership(
        org_id=org_id, uid=uid, role=role, email=f"{uid}@example.com", created_at=NOW,
        created_by="api_key:k1",
    )  # fmt: skip


def test_a_stored_membership_is_read_back_and_its_role_replaced(
    store: MembershipStore, namespace: str
) -> None:
    org_id, uid = f"org-{namespace}", f"u-{namespace}"
    assert store.get(org_id, uid) is None

    store.put(_member(org_id, uid, "viewer"))
    store.put(_member(org_id, uid, "owner"))

    found = store.get(org_id, uid)
    assert found == _member(org_id, uid, "owner")
    assert store.get(f"{org_id}-other", uid) is None


def test_a_person_s_memberships_span_organisations_and_nobody_else_s(
    store: MembershipStore, namespace: str
) -> None:
    uid = f"u-{namespace}"
    store.put(_member(f"b-{namespace}", uid, "developer"))
    store.put(_member(f"a-{namespace}", uid, "viewer"))
    store.put(_member(f"a-{namespace}", f"{uid}-other", "owner"))

    found = store.memberships_of(uid)

    assert [(m.org_id, m.role) for m in found] == [
        (f"a-{namespace}", "viewer"),
        (f"b-{namespace}", "developer"),
    ]
    assert store.memberships_of(f"nobody-{namespace}") == ()


def test_removal_answers_whether_there_was_a_membership(
    store: MembershipStore, namespace: str
) -> None:
    org_id, uid = f"org-{namespace}", f"u-{namespace}"
    store.put(_member(org_id, uid))

    assert store.remove(org_id, uid) is True
    assert store.remove(org_id, uid) is False
    assert store.get(org_id, uid) is None
    assert store.memberships_of(uid) == ()


def test_an_organisation_s_members_are_listed_by_uid_in_pages(
    store: MembershipStore, namespace: str
) -> None:
    org_id = f"org-{namespace}"
    uids = [f"u{n}-{namespace}" for n in (3, 0, 4, 1, 2)]
    for uid in uids:
        store.put(_member(org_id, uid))
    store.put(_member(f"{org_id}-other", f"u9-{namespace}"))

    pages, token = [], None
    while True:
        page = store.list_members(org_id, page_size=2, page_token=token)
        pages.append([m.uid for m in page.items])
        token = page.next_page_token
        if token is None:
            break

    expected = sorted(uids)
    assert pages == [expected[0:2], expected[2:4], expected[4:5]]


def test_listing_refuses_a_foreign_page_token_and_a_bad_page_size(
    store: MembershipStore, namespace: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        store.list_members(f"org-{namespace}", page_token="bm90LWEtdG9rZW4=")
    assert caught.value.code == "invalid_page_token"
    with pytest.raises(ValidationError) as caught:
        store.list_members(f"org-{namespace}", page_size=0)
    assert caught.value.code == "invalid_page_size"
