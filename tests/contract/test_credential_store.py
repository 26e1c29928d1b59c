"""CredentialStore and AuditLog contracts: one suite each, on the twin and on Firestore."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.firestore_audit_log import FirestoreAuditLog
from shared.adapters.firestore_credential_store import FirestoreCredentialStore
from shared.adapters.in_memory_audit_log import InMemoryAuditLog
from shared.adapters.in_memory_credential_store import InMemoryCredentialStore
from shared.domain.credentials import AuditEntry, Credential, CredentialType, Grant
from shared.errors import ConflictError, NotFoundError, ValidationError
from shared.ports.audit_log import AuditLog
from shared.ports.credential_store import CredentialStore

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "firestore"])
def store(request: pytest.FixtureRequest) -> CredentialStore:
    if request.param == "memory":
        return InMemoryCredentialStore()
    return FirestoreCredentialStore(request.getfixturevalue("firestore_client"))


@pytest.fixture(params=["memory", "firestore"])
def audit(request: pytest.FixtureRequest) -> AuditLog:
    if request.param == "memory":
        return InMemoryAuditLog()
    return FirestoreAuditLog(request.getfixturevalue("firestore_client"))


def _credential(
    namespace: str, name: str = "a", org: str = "org", at: datetime = NOW
) -> Credential:
    return Credential(
        credential_id=f"cred-{namespace}-{name}", org_id=f"{org}-{namespace}", name=name,
        type=CredentialType.OAUTH2, secret_id=f"credential-cred-{namespace}-{name}",
        token_url="https://auth.example/token", client_id="client", expires_at=NOW,
        created_at=at,
    )  # fmt: skip


def test_create_get_and_list_by_organisation(store: CredentialStore, namespace: str) -> None:
    first, second = _credential(namespace, "a"), _credential(namespace, "b", at=NOW + timedelta(1))
    other = _credential(namespace, "c", org="other")
    for credential in (second, first, other):
        store.create(credential)

    assert store.get(first.credential_id) == first
    assert store.list_for_org(first.org_id).items == (first, second)
    with pytest.raises(ConflictError):
        store.create(first)
    with pytest.raises(NotFoundError):
        store.get(f"cred-{namespace}-missing")


@pytest.mark.parametrize("credential_id", ["__main__", "a/b", ".."])
def test_an_id_no_document_can_have_names_no_credential(
    store: CredentialStore, credential_id: str
) -> None:
    grant = Grant(agent_id="agent", hosts=("api.example",))
    with pytest.raises(NotFoundError):
        store.get(credential_id)
    with pytest.raises(NotFoundError):
        store.add_grant(credential_id, grant)
    with pytest.raises(NotFoundError):
        store.revoke(credential_id, NOW)


def test_credentials_are_listed_a_page_at_a_time(store: CredentialStore, namespace: str) -> None:
    made = [_credential(namespace, f"c{n}", at=NOW + timedelta(minutes=n % 3)) for n in range(5)]
    for credential in reversed(made):
        store.create(credential)

    first = store.list_for_org(made[0].org_id, page_size=2)
    second = store.list_for_org(made[0].org_id, page_size=2, page_token=first.next_page_token)
    last = store.list_for_org(made[0].org_id, page_size=2, page_token=second.next_page_token)

    expected = sorted(made, key=lambda c: (c.created_at, c.credential_id))
    assert first.items + second.items + last.items == tuple(expected)
    assert last.next_page_token is None
    with pytest.raises(ValidationError):
        store.list_for_org(made[0].org_id, page_token="not-a-token")


def test_grants_replace_the_same_agents_grant(store: CredentialStore, namespace: str) -> None:
    credential = _credential(namespace)
    store.create(credential)
    store.add_grant(credential.credential_id, Grant(agent_id="a1", hosts=("x.example",)))
    store.add_grant(credential.credential_id, Grant(agent_id="a2", hosts=("y.example",)))
    latest = Grant(agent_id="a1", hosts=("z.example",), methods=("post",), paths=("/v1/*",))

    updated = store.add_grant(credential.credential_id, latest)

    assert {g.agent_id: g for g in updated.grants} == {
        "a1": latest,
        "a2": Grant(agent_id="a2", hosts=("y.example",)),
    }
    assert store.get(credential.credential_id).grants == updated.grants
    with pytest.raises(NotFoundError):
        store.add_grant(f"cred-{namespace}-missing", latest)


def test_revoke_keeps_the_first_time_and_refresh_and_use_are_recorded(
    store: CredentialStore, namespace: str
) -> None:
    credential = _credential(namespace)
    store.create(credential)

    store.revoke(credential.credential_id, NOW)
    again = store.revoke(credential.credential_id, NOW + timedelta(hours=1))
    store.record_refresh(credential.credential_id, NOW + timedelta(hours=2))
    store.record_use(credential.credential_id, NOW + timedelta(hours=3))

    assert again.revoked_at == NOW
    stored = store.get(credential.credential_id)
    assert stored.revoked_at == NOW
    assert stored.expires_at == NOW + timedelta(hours=2)
    assert stored.last_used_at == NOW + timedelta(hours=3)


def test_audit_entries_are_kept_once_and_listed_by_run(audit: AuditLog, namespace: str) -> None:
    def entry(call: int, result: str, run: str = "r") -> AuditEntry:
        return AuditEntry(
            audit_id=f"{namespace}-{run}-{call}", org_id="o", agent_id="a",
            run_id=f"{namespace}-{run}", step=0, call_index=call, tool="http_request",
            targets=("GET https://x.example/",), result=result,
            created_at=NOW + timedelta(seconds=call),
        )  # fmt: skip

    audit.record(entry(1, "refused"))
    audit.record(entry(0, "succeeded"))
    audit.record(entry(0, "failed"))  # a duplicate id: the first stays
    audit.record(entry(0, "succeeded", run="other"))

    assert audit.list_for_run(f"{namespace}-r") == [entry(0, "succeeded"), entry(1, "refused")]
