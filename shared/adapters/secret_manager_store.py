"""SecretManagerStore: platform secrets in Secret Manager.

Payloads carry a CRC32C checksum both ways, as Google recommends: Secret Manager refuses a
corrupted write, and a read whose checksum does not match its data is refused here
(https://cloud.google.com/secret-manager/docs/data-integrity).
"""

from __future__ import annotations

import contextlib

import google_crc32c
from google.api_core.exceptions import AlreadyExists, FailedPrecondition, GoogleAPIError, NotFound
from google.cloud import secretmanager

from shared.errors import NotFoundError, TransientError
from shared.gcp_clients import secret_manager_client
from shared.ports.secret_store import SecretStore
from shared.settings import Settings

_AUTOMATICALLY_REPLICATED = secretmanager.Secret(
    replication=secretmanager.Replication(automatic=secretmanager.Replication.Automatic())
)


class SecretManagerStore(SecretStore):
    """Secrets of ``settings.project_id``, with automatic replication.

    Args:
        settings: Supplies the project id and builds the default client.
        client: Secret Manager client; ``shared.gcp_clients.secret_manager_client(settings)``
            when None.
    """

    def __init__(
        self,
        settings: Settings,
        client: secretmanager.SecretManagerServiceClient | None = None,
    ) -> None:
        self._project_id = settings.project_id
        self._client = client or secret_manager_client(settings)

    def access(self, secret_id: str) -> bytes:
        """See :meth:`SecretStore.access`.

        Raises:
            NotFoundError: Code ``secret_not_found``.
            TransientError: Code ``secret_store_unavailable``, or ``secret_data_corrupted``
                when the payload does not match its checksum.
        """
        try:
            return self._access_newest_enabled(secret_id)
        except NotFound as error:
            raise NotFoundError("secret_not_found", f"no secret {secret_id}") from error
        except GoogleAPIError as error:
            raise TransientError(
                "secret_store_unavailable", f"reading secret {secret_id} failed: {error!r}"
            ) from error

    def _access_newest_enabled(self, secret_id: str) -> bytes:
        latest = self._client.secret_version_path(self._project_id, secret_id, "latest")
        try:
            response = self._client.access_secret_version(name=latest)
        except FailedPrecondition:
            # "latest" names the newest version whatever its state, and accessing a disabled
            # one fails; the port promises the newest *enabled* version, so look it up.
            response = self._client.access_secret_version(name=self._newest_enabled(secret_id))
        payload = response.payload
        if "data_crc32c" in payload and payload.data_crc32c != google_crc32c.value(payload.data):
            raise TransientError(
                "secret_data_corrupted", f"{response.name}: the data does not match its checksum"
            )
        return payload.data

    def _newest_enabled(self, secret_id: str) -> str:
        parent = self._client.secret_path(self._project_id, secret_id)
        enabled = [
            version.name
            for version in self._client.list_secret_versions(parent=parent)
            if version.state == secretmanager.SecretVersion.State.ENABLED
        ]
        if not enabled:
            raise NotFoundError("secret_not_found", f"secret {secret_id} has no enabled version")
        # Version ids are numbers that grow by one per added version.
        return max(enabled, key=lambda name: int(name.rsplit("/", 1)[1]))

    def put(self, secret_id: str, value: bytes) -> None:
        """See :meth:`SecretStore.put`; creates the secret on its first value.

        Raises:
            TransientError: Code ``secret_store_unavailable``.
        """
        parent = self._client.secret_path(self._project_id, secret_id)
        payload = secretmanager.SecretPayload(data=value, data_crc32c=google_crc32c.value(value))
        try:
            try:
                self._client.add_secret_version(parent=parent, payload=payload)
            except NotFound:
                with contextlib.suppress(AlreadyExists):  # a concurrent put created it
                    self._client.create_secret(
                        parent=self._client.common_project_path(self._project_id),
                        secret_id=secret_id,
                        secret=_AUTOMATICALLY_REPLICATED,
                    )
                self._client.add_secret_version(parent=parent, payload=payload)
        except GoogleAPIError as error:
            raise TransientError(
                "secret_store_unavailable", f"writing secret {secret_id} failed: {error!r}"
            ) from error
