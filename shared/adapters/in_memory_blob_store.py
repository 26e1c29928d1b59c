"""InMemoryBlobStore: the BlobStore twin, objects in a dict keyed by their ``gs://`` URI."""

from __future__ import annotations

from shared.errors import NotFoundError
from shared.ports.blob_store import BlobStore
from shared.resources import bucket_name


class InMemoryBlobStore(BlobStore):
    """Keeps objects in memory under the URIs Cloud Storage would give them.

    Args:
        project_id: Project whose bucket names the URIs carry (``<project>-<suffix>``).
    """

    def __init__(self, project_id: str) -> None:
        self._project_id = project_id
        self._objects: dict[str, bytes] = {}

    def put(self, bucket_suffix: str, name: str, data: bytes, content_type: str) -> str:
        """See :meth:`BlobStore.put`; ``content_type`` is not kept (no port method reads it)."""
        uri = f"gs://{bucket_name(self._project_id, bucket_suffix)}/{name}"
        self._objects[uri] = bytes(data)
        return uri

    def get(self, uri: str) -> bytes:
        """See :meth:`BlobStore.get`.

        Raises:
            NotFoundError: Code ``blob_not_found``.
        """
        try:
            return self._objects[uri]
        except KeyError:
            raise NotFoundError("blob_not_found", f"no object at {uri}") from None
