"""The Secret Manager emulator, driven through google-cloud-secret-manager as the platform uses it.

Needs ``SWITCHYARD_SECRET_MANAGER_EMULATOR_HOST``; ``python -m emulators run -- pytest`` sets it.
Each test works in its own project id, so runs against a long-lived emulator do not collide.
"""

from __future__ import annotations

import uuid

import google_crc32c
import pytest
from google.api_core import exceptions
from google.cloud import secretmanager

from shared.gcp_clients import secret_manager_client
from shared.settings import Settings

State = secretmanager.SecretVersion.State
AUTOMATIC = {"automatic": {}}


@pytest.fixture(scope="module")
def client(stack: Settings) -> secretmanager.SecretManagerServiceClient:
    """A real Secret Manager client on the emulator (``stack`` fails the test without one)."""
    return secret_manager_client(stack)


@pytest.fixture
def project() -> str:
    """A fresh ``projects/<id>`` parent, empty on every run."""
    return f"projects/test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def secret(client: secretmanager.SecretManagerServiceClient, project: str) -> str:
    """The name of a new secret without versions."""
    return client.create_secret(
        parent=project, secret_id="api-token", secret={"replication": AUTOMATIC}
    ).name


def add(client: secretmanager.SecretManagerServiceClient, secret: str, data: bytes) -> str:
    """Add a version holding ``data`` and return its name."""
    return client.add_secret_version(parent=secret, payload={"data": data}).name


def test_create_get_and_duplicate(
    client: secretmanager.SecretManagerServiceClient, project: str
) -> None:
    created = client.create_secret(
        parent=project,
        secret_id="webhook-signing",
        secret={"replication": AUTOMATIC, "labels": {"team": "platform"}},
    )

    assert created.name == f"{project}/secrets/webhook-signing"
    assert created.create_time is not None
    fetched = client.get_secret(name=created.name)
    assert fetched.labels == {"team": "platform"}
    assert fetched.etag == created.etag
    with pytest.raises(exceptions.AlreadyExists):
        client.create_secret(
            parent=project, secret_id="webhook-signing", secret={"replication": AUTOMATIC}
        )


def test_create_rejects_bad_id_and_missing_replication(
    client: secretmanager.SecretManagerServiceClient, project: str
) -> None:
    with pytest.raises(exceptions.InvalidArgument):
        client.create_secret(parent=project, secret_id="bad/id", secret={"replication": AUTOMATIC})
    with pytest.raises(exceptions.InvalidArgument):
        client.create_secret(parent=project, secret_id="no-replication", secret={})


def test_access_latest_and_numbered_versions(
    client: secretmanager.SecretManagerServiceClient, secret: str
) -> None:
    first = add(client, secret, b"pepper-1")
    second = add(client, secret, b"pepper-2")

    assert (first, second) == (f"{secret}/versions/1", f"{secret}/versions/2")
    latest = client.access_secret_version(name=f"{secret}/versions/latest")
    assert latest.name == second
    assert latest.payload.data == b"pepper-2"
    assert client.access_secret_version(name=first).payload.data == b"pepper-1"
    assert client.get_secret_version(name=f"{secret}/versions/latest").name == second


def test_crc32c_is_checked_on_add_and_returned_on_access(
    client: secretmanager.SecretManagerServiceClient, secret: str
) -> None:
    data = b"s3cr3t"
    checksum = google_crc32c.value(data)

    with pytest.raises(exceptions.InvalidArgument):
        client.add_secret_version(
            parent=secret, payload={"data": data, "data_crc32c": checksum ^ 1}
        )
    version = client.add_secret_version(
        parent=secret, payload={"data": data, "data_crc32c": checksum}
    )
    unchecked = client.add_secret_version(parent=secret, payload={"data": data})

    assert version.name == f"{secret}/versions/1"  # the rejected add created nothing
    assert version.client_specified_payload_checksum
    assert not unchecked.client_specified_payload_checksum
    for name in (version.name, unchecked.name):
        assert client.access_secret_version(name=name).payload.data_crc32c == checksum


def test_disabled_version_cannot_be_accessed_until_enabled(
    client: secretmanager.SecretManagerServiceClient, secret: str
) -> None:
    older = add(client, secret, b"old")
    newest = add(client, secret, b"new")

    disabled = client.disable_secret_version(name=newest)

    assert disabled.state == State.DISABLED
    with pytest.raises(exceptions.FailedPrecondition, match="DISABLED"):
        client.access_secret_version(name=newest)
    # `latest` is the most recently created version, not the newest enabled one (Google's rule).
    with pytest.raises(exceptions.FailedPrecondition):
        client.access_secret_version(name=f"{secret}/versions/latest")
    assert client.access_secret_version(name=older).payload.data == b"old"
    assert client.enable_secret_version(name=newest).state == State.ENABLED
    assert client.access_secret_version(name=f"{secret}/versions/latest").payload.data == b"new"


def test_destroyed_version_is_gone_for_good(
    client: secretmanager.SecretManagerServiceClient, secret: str
) -> None:
    version = add(client, secret, b"doomed")

    destroyed = client.destroy_secret_version(name=version)

    assert destroyed.state == State.DESTROYED
    assert destroyed.destroy_time is not None
    with pytest.raises(exceptions.FailedPrecondition, match="DESTROYED"):
        client.access_secret_version(name=version)
    with pytest.raises(exceptions.FailedPrecondition):
        client.enable_secret_version(name=version)
    assert client.get_secret_version(name=version).state == State.DESTROYED


def test_stale_etag_is_refused(
    client: secretmanager.SecretManagerServiceClient, secret: str
) -> None:
    version = client.add_secret_version(parent=secret, payload={"data": b"x"})
    client.disable_secret_version(name=version.name)

    with pytest.raises(exceptions.Aborted):
        client.enable_secret_version(request={"name": version.name, "etag": version.etag})
    assert client.get_secret_version(name=version.name).state == State.DISABLED


def test_list_secrets_pages_newest_first(
    client: secretmanager.SecretManagerServiceClient, project: str
) -> None:
    ids = [f"secret-{i}" for i in range(5)]
    for secret_id in ids:
        client.create_secret(parent=project, secret_id=secret_id, secret={"replication": AUTOMATIC})

    pages = list(client.list_secrets(request={"parent": project, "page_size": 2}).pages)

    assert [len(page.secrets) for page in pages] == [2, 2, 1]
    assert pages[0].total_size == 5
    listed = [s.name.rsplit("/", 1)[1] for page in pages for s in page.secrets]
    assert listed == ids[::-1]


def test_list_versions_newest_first(
    client: secretmanager.SecretManagerServiceClient, secret: str
) -> None:
    names = [add(client, secret, f"v{i}".encode()) for i in range(3)]
    client.disable_secret_version(name=names[0])

    versions = list(client.list_secret_versions(request={"parent": secret, "page_size": 2}))

    assert [v.name for v in versions] == names[::-1]
    assert [v.state for v in versions] == [State.ENABLED, State.ENABLED, State.DISABLED]


def test_delete_secret_removes_its_versions(
    client: secretmanager.SecretManagerServiceClient, secret: str
) -> None:
    version = add(client, secret, b"x")

    client.delete_secret(name=secret)

    with pytest.raises(exceptions.NotFound):
        client.get_secret(name=secret)
    with pytest.raises(exceptions.NotFound):
        client.access_secret_version(name=version)
    with pytest.raises(exceptions.NotFound):
        client.delete_secret(name=secret)


def test_not_found_cases(
    client: secretmanager.SecretManagerServiceClient, project: str, secret: str
) -> None:
    missing = f"{project}/secrets/missing"

    with pytest.raises(exceptions.NotFound):
        client.get_secret(name=missing)
    with pytest.raises(exceptions.NotFound):
        client.add_secret_version(parent=missing, payload={"data": b"x"})
    with pytest.raises(exceptions.NotFound):
        client.access_secret_version(name=f"{secret}/versions/latest")  # no versions yet
    add(client, secret, b"x")
    with pytest.raises(exceptions.NotFound):
        client.access_secret_version(name=f"{secret}/versions/2")
    with pytest.raises(exceptions.NotFound):
        client.disable_secret_version(name=f"{secret}/versions/9")
