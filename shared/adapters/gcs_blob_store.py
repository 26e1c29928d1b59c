"""GcsBlobStore: traces and artifacts as Cloud Storage objects.

google-cloud-storage retries uploads and downloads itself (its ``DEFAULT_RETRY``: 429, 5xx and
connection errors, for up to 120 s), which suits :meth:`BlobStore.put` because rewriting an
object with the same bytes is harmless; what still fails after that is transient here.
"""

from __future__ import annotations

from google.api_core.exceptions import GoogleAPIError, NotFound
from google.cloud.storage import Blob
from google.cloud.storage import Client as StorageClient

from shared.errors import NotFoundError, TransientError
from shared.ports.blob_store import BlobStore
from shared.resources import bucket_name
from shared.settings import Settings


class GcsBlobStore(BlobStore):
    """Objects in the buckets of ``settings.project_id`` (``<project>-<suffix>``).

    Args:
        settings: Supplies the project id. The storage emulator, when one runs, is found by the
            client library itself through ``STORAGE_EMULATOR_HOST``.
        client: Storage client; ``Client(project=settings.project_id)`` when None.
    """

    def __init__(self, settings: Settings, client: StorageClient | None = None) -> None:
        self._project_id = settings.project_id
        self._client = client or StorageClient(project=settings.project_id)

    def put(self, bucket_suffix: str, name: str, data: bytes, content_type: str) -> str:
        """See :meth:`BlobStore.put`.

        Raises:
            TransientError: Code ``blob_store_unavailable``, also for a missing bucket (a
                deploy fixes it; a retry then succeeds).
        """
        bucket = bucket_name(self._project_id, bucket_suffix)
        try:
            self._client.bucket(bucket).blob(name).upload_from_string(
                data, content_type=content_type
            )
        except GoogleAPIError as error:
            raise TransientError(
                "blob_store_unavailable", f"writing gs://{bucket}/{name} failed: {error!r}"
            ) from error
        return f"gs://{bucket}/{name}"

    def get(self, uri: str) -> bytes:
        """See :meth:`BlobStore.get`.

        Raises:
            NotFoundError: Code ``blob_not_found``: no such object or bucket, or ``uri`` is not
                a ``gs://bucket/object`` URI.
            TransientError: Code ``blob_store_unavailable``.
        """
        try:
            return Blob.from_uri(uri, client=self._client).download_as_bytes()
        except (NotFound, ValueError) as error:
            raise NotFoundError("blob_not_found", f"no object at {uri}") from error
        except GoogleAPIError as error:
            raise TransientError(
                "blob_store_unavailable", f"reading {uri} failed: {error!r}"
            ) from error
