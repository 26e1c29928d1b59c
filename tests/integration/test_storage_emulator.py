"""The Cloud Storage emulator from PyPI, reached through google-cloud-storage."""

from __future__ import annotations

import uuid

import pytest
from google.cloud import storage

from shared import resources
from shared.settings import Settings


@pytest.fixture(scope="module")
def client(stack: Settings) -> storage.Client:
    return storage.Client(project=stack.project_id)


def test_an_upload_reads_back_with_its_content_type(
    client: storage.Client, stack: Settings
) -> None:
    bucket = client.bucket(resources.bucket_name(stack.project_id, resources.TRACES_BUCKET_SUFFIX))
    name = f"checks/{uuid.uuid4().hex}.json"
    bucket.blob(name).upload_from_string(b'{"step": 1}', content_type="application/json")

    blob = bucket.get_blob(name)
    assert blob is not None
    assert blob.download_as_bytes() == b'{"step": 1}'
    assert blob.content_type == "application/json"
    assert name in {b.name for b in client.list_blobs(bucket, prefix="checks/")}


def test_the_provisioner_created_every_bucket(client: storage.Client, stack: Settings) -> None:
    names = {bucket.name for bucket in client.list_buckets()}
    expected = {resources.bucket_name(stack.project_id, s) for s in resources.BUCKET_SUFFIXES}
    assert expected <= names
