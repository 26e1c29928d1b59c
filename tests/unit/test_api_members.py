"""People's access on twins: role scopes, organisation selection, ``/v1/members`` and ``/v1/me``
with API keys, CORS preflight without credentials, and the limit on failed authentication.

ID tokens themselves are verified against the Firebase Auth emulator in
``tests/integration/test_firebase_auth.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.adapters.in_memory_membership_store import InMemoryMembershipStore
from shared.auth.api_keys import mint_api_key, new_pepper
from shared.auth.keys import NewApiKey, create_key
from shared.auth.memberships import SCOPES_BY_ROLE, NotAMemberError, select_membership
from shared.auth.scopes import grants
from shared.domain.members import Membership, Role
from shared.errors import PermanentError
from tests.unit.api_harness import ApiHarness, assert_problem, make_harness

NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def api() -> ApiHarness:
    return make_harness()


def _member(org_id: str, uid: str, role: Role = "viewer") -> Membership:
    return Membership(org_id=org_id, uid=uid, role=role, created_at=NOW, created_by="test")


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("owner", ["admin", "agents:write", "runs:read", "credentials:write"], []),
        (
            "developer",
            ["agents:read", "agents:write", "runs:read", "runs:write", "credentials:write"],
            ["admin"],
        ),
        ("viewer", ["agents:read", "runs:read"], ["agents:write", "runs:write", "admin"]),
    ],
)
def test_each_role_grants_its_scopes_and_no_more(
    role: Role, allowed: list[str], refused: list[str]
) -> None:
    scopes = SCOPES_BY_ROLE[role]
    assert all(grants(scopes, scope) for scope in allowed)  # type: ignore[arg-type]
    assert not any(grants(scopes, scope) for scope in refused)  # type: ignore[arg-type]
    assert not grants(SCOPES_BY_ROLE["viewer"], "credentials:write")


def test_the_named_organisation_is_used_and_must_be_the_person_s() -> None:
    store = InMemoryMembershipStore()
    store.put(_member("org-a", "ann", "owner"))
    store.put(_member("org-b", "ann", "viewer"))

    assert select_membership(store, "ann", "org-b").role == "viewer"
    with pytest.raises(NotAMemberError) as caught:
        select_membership(store, "ann", "org-c")
    assert caught.value.code == "not_a_member"


def test_without_a_name_the_only_membership_is_used() -> None:
    store = InMemoryMembershipStore()
    store.put(_member("org-a", "bob", "developer"))
    store.put(_member("org-a", "ann", "owner"))
    store.put(_member("org-b", "ann", "viewer"))

    assert select_membership(store, "bob", None).org_id == "org-a"
    with pytest.raises(PermanentError) as several:
        select_membership(store, "ann", None)
    assert several.value.code == "org_required"
    assert several.value.details["org_ids"] == ["org-a", "org-b"]
    with pytest.raises(NotAMemberError) as none:
        select_membership(store, "carol", None)
    assert none.value.code == "no_membership"


def test_an_admin_key_adds_lists_and_removes_members(api: ApiHarness) -> None:
    added = api.client.post(
        "/v1/members", json={"uid": "ann", "role": "developer"}, headers=api.auth()
    )
    changed = api.client.post(
        "/v1/members", json={"uid": "ann", "role": "viewer"}, headers=api.auth()
    )
    for uid in ("cat", "bob"):
        api.client.post("/v1/members", json={"uid": uid, "role": "viewer"}, headers=api.auth())

    assert added.status_code == 201, added.get_json()
    assert added.get_json()["role"] == "developer"
    assert added.get_json()["created_by"].startswith("api_key:")
    assert changed.status_code == 200
    assert changed.get_json()["role"] == "viewer"
    first = api.client.get("/v1/members?page_size=2", headers=api.auth()).get_json()
    second = api.client.get(
        f"/v1/members?page_size=2&page_token={first['next_page_token']}", headers=api.auth()
    ).get_json()
    assert [m["uid"] for m in first["items"] + second["items"]] == ["ann", "bob", "cat"]
    assert api.client.get("/v1/members", headers=api.auth(api.other_key)).get_json()["items"] == []

    assert api.client.delete("/v1/members/ann", headers=api.auth()).status_code == 204
    assert_problem(
        api.client.delete("/v1/members/ann", headers=api.auth()), 404, "member_not_found"
    )
    # Another organisation's admin cannot remove this one's member.
    assert_problem(
        api.client.delete("/v1/members/bob", headers=api.auth(api.other_key)),
        404,
        "member_not_found",
    )
    events = api.deps.audit_events.list_events(api.org_id).items
    assert [(e.resource_id, e.details.get("role")) for e in events][-2:] == [
        ("ann", "viewer"),
        ("ann", "developer"),
    ]


def test_a_new_member_needs_exactly_one_of_uid_and_email(api: ApiHarness) -> None:
    both = api.client.post(
        "/v1/members",
        json={"uid": "ann", "email": "ann@example.com", "role": "viewer"},
        headers=api.auth(),
    )
    neither = api.client.post("/v1/members", json={"role": "viewer"}, headers=api.auth())
    bad_role = api.client.post("/v1/members", json={"uid": "x", "role": "god"}, headers=api.auth())

    for response in (both, neither, bad_role):
        assert response.status_code == 422, response.get_json()


def test_members_need_admin_but_me_needs_no_scope(api: ApiHarness) -> None:
    created = create_key(api.deps, api.org_id, NewApiKey(name="ci", scopes=("runs:write",)))
    narrow = {"Authorization": f"Bearer {created.key}"}

    assert_problem(api.client.get("/v1/members", headers=narrow), 403, "insufficient_scope")
    me = api.client.get("/v1/me", headers=narrow)
    assert me.status_code == 200
    assert me.get_json() == {
        "actor": f"api_key:{created.api_key.key_id}",
        "kind": "api_key",
        "org_id": api.org_id,
        "scopes": ["runs:write"],
        "uid": None,
        "role": None,
        "api_key_id": created.api_key.key_id,
    }
    assert_problem(api.client.get("/v1/me"), 401, "missing_api_key")


def test_a_cors_preflight_needs_no_credentials_and_reveals_no_data(api: ApiHarness) -> None:
    agent_id = api.create_agent()

    preflight = api.client.options(
        f"/v1/agents/{agent_id}",
        headers={"Origin": "https://console.example", "Access-Control-Request-Method": "GET"},
    )

    assert preflight.status_code == 200
    assert set(preflight.headers["Allow"].split(", ")) >= {"GET", "PUT"}
    assert preflight.get_data() == b""
    assert_problem(api.client.get(f"/v1/agents/{agent_id}"), 401, "missing_api_key")


def test_failed_authentication_is_limited_per_client_address() -> None:
    api = make_harness(config={"AUTH_FAILURE_RATE_PER_S": 0.01, "AUTH_FAILURE_BURST": 3})
    # A guess: a well-formed key whose checksum holds, so checking it costs a lookup.
    guess = {"Authorization": f"Bearer {mint_api_key(new_pepper()).key}"}
    elsewhere = {**guess, "X-Forwarded-For": "198.51.100.7"}

    answers = [api.client.get("/v1/agents", headers=guess).status_code for _ in range(3)]
    limited = api.client.get("/v1/agents", headers=guess)

    assert answers == [401, 401, 401]
    assert_problem(limited, 429, "auth_failures_rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    # Valid credentials from the same address still work; another address has its own bucket.
    assert api.client.get("/v1/agents", headers=api.auth()).status_code == 200
    assert_problem(api.client.get("/v1/agents", headers=elsewhere), 401, "invalid_api_key")


def test_credentials_refused_offline_are_never_limited() -> None:
    api = make_harness(config={"AUTH_FAILURE_RATE_PER_S": 0.01, "AUTH_FAILURE_BURST": 1})
    typo = "1" if api.key.endswith("0") else "0"
    typo_key = {"Authorization": f"Bearer {api.key[:-1]}{typo}"}

    answers = [api.client.get("/v1/agents", headers=typo_key).status_code for _ in range(5)]
    answers += [api.client.get("/v1/agents").status_code for _ in range(5)]

    assert answers == [401] * 10
