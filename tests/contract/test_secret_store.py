"""SecretStore contract: one suite, run against the in-memory twin and Secret Manager (emulator).

Every test uses a secret id of its own (from ``namespace``), so tests never collide.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.cloud import secretmanager

from shared.adapters.in_memory_secret_store import InMemorySecretStore
from shared.adapters.secret_manager_store import SecretManagerStore
from shared.errors import NotFoundError
from shared.gcp_clients import secret_manager_client
from shared.ports.secret_store import SecretStore
from shared.settings import Settings


@pytest.fixture(params=["memory", "gcp"])
def store(request: pytest.FixtureRequest) -> Iterator[SecretStore]:
    if request.param == "memory":
        yield InMemorySecretStore()
    else:
        yield SecretManagerStore(request.getfixturevalue("stack"))


@pytest.fixture
def secret_id(namespace: str) -> str:
    """A secret id no other test uses."""
    return f"contract-{namespace}"


def test_put_creates_the_secret_and_access_reads_it(store: SecretStore, secret_id: str) -> None:
    store.put(secret_id, b"pepper-1")

    assert store.access(secret_id) == b"pepper-1"


def test_access_returns_the_newest_version(store: SecretStore, secret_id: str) -> None:
    store.put(secret_id, b"old")
    store.put(secret_id, b"new")

    assert store.access(secret_id) == b"new"


def test_binary_values_round_trip(store: SecretStore, secret_id: str) -> None:
    store.put(secret_id, bytes(range(256)))

    assert store.access(secret_id) == bytes(range(256))


def test_a_missing_secret_is_not_found(store: SecretStore, secret_id: str) -> None:
    with pytest.raises(NotFoundError) as raised:
        store.access(secret_id)

    assert raised.value.code == "secret_not_found"


# --- Secret Manager adapter only ------------------------------------------------------------

State = secretmanager.SecretVersion.State


def test_secret_manager_skips_disabled_versions(stack: Settings, secret_id: str) -> None:
    store = SecretManagerStore(stack)
    client = secret_manager_client(stack)
    store.put(secret_id, b"v1")
    store.put(secret_id, b"v2")
    store.put(secret_id, b"v3")

    def disable(version: int) -> None:
        name = client.secret_version_path(stack.project_id, secret_id, str(version))
        client.disable_secret_version(name=name)

    disable(3)
    assert store.access(secret_id) == b"v2"
    disable(2)
    assert store.access(secret_id) == b"v1"
    disable(1)
    with pytest.raises(NotFoundError):
        store.access(secret_id)
