"""InMemorySecretStore: the SecretStore twin, versions in a dict of lists."""

from __future__ import annotations

from shared.errors import NotFoundError
from shared.ports.secret_store import SecretStore


class InMemorySecretStore(SecretStore):
    """Keeps every version of every secret; :meth:`access` returns the newest."""

    def __init__(self) -> None:
        self._versions: dict[str, list[bytes]] = {}

    def access(self, secret_id: str) -> bytes:
        """See :meth:`SecretStore.access`.

        Raises:
            NotFoundError: Code ``secret_not_found``.
        """
        versions = self._versions.get(secret_id)
        if not versions:
            raise NotFoundError("secret_not_found", f"no secret {secret_id}")
        return versions[-1]

    def put(self, secret_id: str, value: bytes) -> None:
        """See :meth:`SecretStore.put`."""
        self._versions.setdefault(secret_id, []).append(bytes(value))
