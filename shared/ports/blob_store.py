"""BlobStore: traces and artifacts (Cloud Storage in production)."""

from __future__ import annotations

import abc


class BlobStore(abc.ABC):
    """Stores immutable objects in the platform's buckets."""

    @abc.abstractmethod
    def put(self, bucket_suffix: str, name: str, data: bytes, content_type: str) -> str:
        """Write ``data`` (bytes) as object ``name``; overwriting with the same bytes is harmless.

        Args:
            bucket_suffix: One of :data:`shared.resources.BUCKET_SUFFIXES`.
            name: Object name, such as ``"runs/<run_id>/steps/0/model.json"``.
            data: Object content.
            content_type: MIME type.

        Returns:
            The object's ``gs://bucket/name`` URI.

        Raises:
            TransientError: Storage is unavailable.
        """

    @abc.abstractmethod
    def get(self, uri: str) -> bytes:
        """The content of the object at ``uri``.

        Raises:
            NotFoundError: No such object.
            TransientError: Storage is unavailable.
        """
