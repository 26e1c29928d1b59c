"""BlobStore contract: one suite, run against the in-memory twin and Cloud Storage (emulator).

The GCP variant writes to the buckets the local provisioner made, each test under a prefix of
its own; both variants name the buckets of the session's ``settings.project_id``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared import resources
from shared.adapters.gcs_blob_store import GcsBlobStore
from shared.adapters.in_memory_blob_store import InMemoryBlobStore
from shared.errors import NotFoundError
from shared.ports.blob_store import BlobStore
from shared.settings import Settings

TRACES = resources.TRACES_BUCKET_SUFFIX


@pytest.fixture(params=["memory", "gcp"])
def store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[BlobStore]:
    if request.param == "memory":
        yield InMemoryBlobStore(settings.project_id)
    else:
        yield GcsBlobStore(request.getfixturevalue("stack"))


@pytest.fixture
def prefix(namespace: str) -> str:
    """An object name prefix no other test uses."""
    return f"contract/{namespace}"


def test_put_returns_the_gs_uri_and_get_reads_the_bytes(
    store: BlobStore, prefix: str, settings: Settings
) -> None:
    name = f"{prefix}/runs/r1/steps/0/model.json"
    data = b'{"step": 0, "text": "\xc3\xa9"}'

    uri = store.put(TRACES, name, data, "application/json")

    assert uri == f"gs://{resources.bucket_name(settings.project_id, TRACES)}/{name}"
    assert store.get(uri) == data


def test_putting_again_overwrites(store: BlobStore, prefix: str) -> None:
    name = f"{prefix}/artifact.txt"
    store.put(resources.ARTIFACTS_BUCKET_SUFFIX, name, b"first", "text/plain")

    uri = store.put(resources.ARTIFACTS_BUCKET_SUFFIX, name, b"second", "text/plain")

    assert store.get(uri) == b"second"


def test_empty_and_binary_objects_round_trip(store: BlobStore, prefix: str) -> None:
    empty = store.put(TRACES, f"{prefix}/empty", b"", "application/octet-stream")
    binary = store.put(TRACES, f"{prefix}/binary", bytes(range(256)), "application/octet-stream")

    assert store.get(empty) == b""
    assert store.get(binary) == bytes(range(256))


@pytest.mark.parametrize(
    "uri",
    [
        "gs://{traces}/contract/never-written",
        "gs://no-such-bucket-switchyard/x",
        "https://example.com/x",
        "gs://bucket-without-object",
    ],
)
def test_get_of_a_missing_object_is_not_found(
    store: BlobStore, uri: str, settings: Settings
) -> None:
    with pytest.raises(NotFoundError) as raised:
        store.get(uri.format(traces=resources.bucket_name(settings.project_id, TRACES)))

    assert raised.value.code == "blob_not_found"
