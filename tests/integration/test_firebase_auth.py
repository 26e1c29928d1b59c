"""People signing in with Firebase Authentication, against the local stack's Auth emulator.

Real ID tokens (from the emulator's REST sign-in) reach the real app over Firestore-backed
dependencies: memberships and roles decide the organisation and scopes, revocation and
disabled users are refused, and a member of one organisation cannot read another's agents.
"""

from __future__ import annotations

import time

import pytest
from firebase_admin import auth
from flask.testing import FlaskClient

from cloudrun.api import bootstrap, create_app
from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies, build_dependencies
from shared.domain.agents import Org
from shared.domain.members import Membership, Role
from shared.errors import NotFoundError
from shared.settings import Settings
from tests.integration.firebase_users import Person, admin_app, create_person, sign_in
from tests.unit.api_harness import assert_problem, spec_yaml


@pytest.fixture(scope="module")
def deps(stack: Settings) -> Dependencies:
    return build_dependencies(stack)


@pytest.fixture(scope="module")
def client(deps: Dependencies) -> FlaskClient:
    return create_app(deps, {"TESTING": True}).test_client()


@pytest.fixture(scope="module")
def orgs(deps: Dependencies) -> tuple[tuple[Org, str], tuple[Org, str]]:
    """Two organisations, each with its admin key."""
    return create_org_with_key(deps, "Acme"), create_org_with_key(deps, "Globex")


def _member(deps: Dependencies, stack: Settings, org: Org, role: Role) -> Person:
    person = create_person(stack, role)
    deps.members.put(
        Membership(
            org_id=org.org_id, uid=person.uid, role=role, email=person.email,
            created_at=deps.clock(), created_by="test",
        )
    )  # fmt: skip
    return person


def _bearer(token: str, org_id: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if org_id:
        headers["X-Switchyard-Org"] = org_id
    return headers


def test_a_member_s_token_acts_for_their_organisation_with_their_role_s_scopes(
    client: FlaskClient, deps: Dependencies, stack: Settings, orgs: tuple[tuple[Org, str], ...]
) -> None:
    (acme, _), _ = orgs
    person = _member(deps, stack, acme, "developer")
    token = sign_in(stack, person)

    me = client.get("/v1/me", headers=_bearer(token))
    created = client.post(
        "/v1/agents", data=spec_yaml("dev-agent"), content_type="application/yaml",
        headers=_bearer(token),
    )  # fmt: skip
    keys = client.get("/v1/keys", headers=_bearer(token))

    assert me.status_code == 200, me.get_json()
    assert me.get_json() == {
        "actor": f"user:{person.uid}",
        "kind": "user",
        "org_id": acme.org_id,
        "scopes": ["agents:read", "agents:write", "runs:read", "runs:write", "credentials:write"],
        "uid": person.uid,
        "role": "developer",
        "api_key_id": None,
    }
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["agent"]["org_id"] == acme.org_id
    events = deps.audit_events.list_events(acme.org_id, resource_type="agent").items
    assert events[0].actor == f"user:{person.uid}"
    assert_problem(keys, 403, "insufficient_scope")  # admin only


def test_a_viewer_reads_but_may_not_write(
    client: FlaskClient, deps: Dependencies, stack: Settings, orgs: tuple[tuple[Org, str], ...]
) -> None:
    (acme, _), _ = orgs
    token = sign_in(stack, _member(deps, stack, acme, "viewer"))

    listed = client.get("/v1/agents", headers=_bearer(token))
    written = client.post(
        "/v1/agents", data=spec_yaml("viewer-agent"), content_type="application/yaml",
        headers=_bearer(token),
    )  # fmt: skip

    assert listed.status_code == 200
    body = assert_problem(written, 403, "insufficient_scope")
    assert body["required_scope"] == "agents:write"


def test_an_owner_manages_members_by_email(
    client: FlaskClient, deps: Dependencies, stack: Settings, orgs: tuple[tuple[Org, str], ...]
) -> None:
    (acme, _), _ = orgs
    owner = sign_in(stack, _member(deps, stack, acme, "owner"))
    newcomer = create_person(stack, "newcomer")

    added = client.post(
        "/v1/members", json={"email": newcomer.email, "role": "viewer"}, headers=_bearer(owner)
    )
    unknown = client.post(
        "/v1/members", json={"email": "nobody@example.com", "role": "viewer"},
        headers=_bearer(owner),
    )  # fmt: skip
    as_newcomer = client.get("/v1/me", headers=_bearer(sign_in(stack, newcomer)))
    removed = client.delete(f"/v1/members/{newcomer.uid}", headers=_bearer(owner))
    after = client.get("/v1/me", headers=_bearer(sign_in(stack, newcomer)))

    assert added.status_code == 201, added.get_json()
    assert added.get_json()["uid"] == newcomer.uid
    assert_problem(unknown, 404, "user_not_found")
    assert as_newcomer.get_json()["role"] == "viewer"
    assert removed.status_code == 204
    assert_problem(after, 403, "no_membership")


def test_a_revoked_token_is_refused(
    client: FlaskClient, deps: Dependencies, stack: Settings, orgs: tuple[tuple[Org, str], ...]
) -> None:
    (acme, _), _ = orgs
    person = _member(deps, stack, acme, "developer")
    token = sign_in(stack, person)
    assert client.get("/v1/me", headers=_bearer(token)).status_code == 200

    time.sleep(1.1)  # revocation is to the second: tokens issued before it are refused
    auth.revoke_refresh_tokens(person.uid, app=admin_app(stack))

    assert_problem(client.get("/v1/me", headers=_bearer(token)), 401, "id_token_revoked")
    assert client.get("/v1/me", headers=_bearer(sign_in(stack, person))).status_code == 200


def test_a_disabled_user_is_refused(
    client: FlaskClient, deps: Dependencies, stack: Settings, orgs: tuple[tuple[Org, str], ...]
) -> None:
    (acme, _), _ = orgs
    person = _member(deps, stack, acme, "owner")
    token = sign_in(stack, person)

    auth.update_user(person.uid, disabled=True, app=admin_app(stack))

    assert_problem(client.get("/v1/agents", headers=_bearer(token)), 401, "user_disabled")


def test_a_malformed_token_is_refused(client: FlaskClient) -> None:
    assert_problem(client.get("/v1/agents", headers=_bearer("not.a.jwt")), 401, "invalid_id_token")


def test_a_person_without_a_membership_is_forbidden(client: FlaskClient, stack: Settings) -> None:
    token = sign_in(stack, create_person(stack, "stranger"))

    body = assert_problem(client.get("/v1/agents", headers=_bearer(token)), 403, "no_membership")
    assert "ask an owner" in body["detail"]


def test_members_of_one_organisation_cannot_read_another_s_agents(
    client: FlaskClient, deps: Dependencies, stack: Settings, orgs: tuple[tuple[Org, str], ...]
) -> None:
    (acme, _), (globex, globex_key) = orgs
    secret = client.post(
        "/v1/agents", data=spec_yaml("globex-secret"), content_type="application/yaml",
        headers=_bearer(globex_key),
    )  # fmt: skip
    assert secret.status_code == 201
    agent_id = secret.get_json()["agent"]["agent_id"]
    token = sign_in(stack, _member(deps, stack, acme, "owner"))

    read = client.get(f"/v1/agents/{agent_id}", headers=_bearer(token))
    listed = client.get("/v1/agents", headers=_bearer(token))
    named = client.get(f"/v1/agents/{agent_id}", headers=_bearer(token, globex.org_id))

    assert_problem(read, 404, "agent_not_found")
    assert listed.status_code == 200, listed.get_json()
    assert agent_id not in {a["agent_id"] for a in listed.get_json()["items"]}
    assert_problem(named, 403, "not_a_member")
    globex_viewer = sign_in(stack, _member(deps, stack, globex, "viewer"))
    assert client.get(f"/v1/agents/{agent_id}", headers=_bearer(globex_viewer)).status_code == 200


def test_a_person_of_two_organisations_names_one(
    client: FlaskClient, deps: Dependencies, stack: Settings, orgs: tuple[tuple[Org, str], ...]
) -> None:
    (acme, _), (globex, _) = orgs
    person = _member(deps, stack, acme, "owner")
    deps.members.put(
        Membership(
            org_id=globex.org_id, uid=person.uid, role="viewer", created_at=deps.clock(),
            created_by="test",
        )
    )  # fmt: skip
    token = sign_in(stack, person)

    unnamed = client.get("/v1/me", headers=_bearer(token))
    in_globex = client.get("/v1/me", headers=_bearer(token, globex.org_id))

    assert_problem(unnamed, 400, "org_required")
    assert (in_globex.get_json()["org_id"], in_globex.get_json()["role"]) == (
        globex.org_id,
        "viewer",
    )


def test_bootstrap_makes_a_signed_up_person_the_first_owner(
    client: FlaskClient, stack: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    person = create_person(stack, "founder")

    bootstrap.main(["--org", "Founded", "--owner-email", person.email])
    printed = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    with pytest.raises(NotFoundError):
        bootstrap.main(["--org", "Nobody's", "--owner-email", "nobody@example.com"])

    assert printed["owner_uid"] == person.uid
    me = client.get("/v1/me", headers=_bearer(sign_in(stack, person))).get_json()
    assert (me["org_id"], me["role"], me["scopes"]) == (printed["org_id"], "owner", ["admin"])
