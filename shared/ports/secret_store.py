"""SecretStore: platform secrets (Secret Manager in production)."""

from __future__ import annotations

import abc


class SecretStore(abc.ABC):
    """Reads and writes secret values; values are never logged."""

    @abc.abstractmethod
    def access(self, secret_id: str) -> bytes:
        """The latest enabled version of ``secret_id``.

        Raises:
            NotFoundError: No such secret, or no enabled version.
            TransientError: The secret service is unavailable.
        """

    @abc.abstractmethod
    def put(self, secret_id: str, value: bytes) -> None:
        """Add ``value`` as the newest version, creating the secret when needed.

        Raises:
            TransientError: The secret service is unavailable.
        """
