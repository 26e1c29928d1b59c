"""Secrets and their versions in memory, with Secret Manager's rules.

The rules follow Google's reference for ``google.cloud.secretmanager.v1``:

- Version ids start at 1 and grow by one per added version; ``latest`` is an alias of the most
  recently *created* version whatever its state, so accessing ``latest`` fails when the newest
  version is disabled or destroyed (Google answers the same; it does not fall back to an older
  enabled version).
- Only ENABLED versions can be accessed; accessing a DISABLED or DESTROYED one is
  FAILED_PRECONDITION. DESTROYED is final and drops the data.
- ``data_crc32c`` is checked on add when given, computed when not, and returned on access.
- A mismatched ``etag`` is ABORTED, as AIP-154 prescribes for Google APIs.

Secret data never reaches a log line or an error message.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import google_crc32c
import grpc
from google.cloud.secretmanager_v1.types import (
    AccessSecretVersionResponse,
    Secret,
    SecretPayload,
    SecretVersion,
)

from emulators.grpc_service import RpcError

# Parents are ``projects/*`` (global secrets) or ``projects/*/locations/*`` (regional ones).
_PARENT = r"projects/[^/]+(?:/locations/[^/]+)?"
_PARENT_RE = re.compile(_PARENT)
_SECRET_RE = re.compile(rf"{_PARENT}/secrets/[^/]+")
_VERSION_RE = re.compile(rf"(?P<secret>{_PARENT}/secrets/[^/]+)/versions/(?P<version>[^/]+)")
_SECRET_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,255}")
_MAX_PAYLOAD_BYTES = 64 * 1024
LATEST = "latest"


@dataclass
class _StoredVersion:
    message: SecretVersion
    data: bytes | None  # None once destroyed
    crc32c: int


@dataclass
class _StoredSecret:
    message: Secret
    versions: list[_StoredVersion] = field(default_factory=list)  # version n at index n - 1


def _new_etag() -> str:
    return f'"{uuid.uuid4().hex}"'


def _check_etag(given: str, current: str, name: str) -> None:
    if given and given != current:
        raise RpcError(grpc.StatusCode.ABORTED, f"etag {given} does not match {name}")


def _invalid(message: str) -> RpcError:
    return RpcError(grpc.StatusCode.INVALID_ARGUMENT, message)


class SecretStore:
    """A thread-safe, in-memory Secret Manager.

    Every method returns copies, so callers may serialise them outside the store's lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: dict[str, _StoredSecret] = {}

    # --- secrets ---------------------------------------------------------------------------

    def create_secret(self, parent: str, secret_id: str, secret: Secret) -> Secret:
        """Create the secret ``<parent>/secrets/<secret_id>`` without versions.

        Args:
            parent: ``projects/<project>`` or ``projects/<project>/locations/<location>``.
            secret_id: Up to 255 letters, digits, ``-`` and ``_``.
            secret: Initial fields; a global secret (``projects/*`` parent) needs
                ``replication``, as on Google Cloud.

        Returns:
            The stored secret with ``name``, ``create_time`` and ``etag`` set.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed parent or id or a missing replication;
                ALREADY_EXISTS when the secret exists.
        """
        if not _PARENT_RE.fullmatch(parent):
            raise _invalid(f"invalid parent {parent!r}")
        if not _SECRET_ID_RE.fullmatch(secret_id):
            raise _invalid(f"invalid secret_id {secret_id!r}")
        if "/locations/" not in parent and "replication" not in secret:
            raise _invalid("Secret.replication must be set for a global secret")
        stored = Secret(secret)
        stored.name = f"{parent}/secrets/{secret_id}"
        stored.create_time = datetime.now(UTC)
        stored.etag = _new_etag()
        with self._lock:
            if stored.name in self._secrets:
                raise RpcError(grpc.StatusCode.ALREADY_EXISTS, f"Secret [{stored.name}] exists")
            self._secrets[stored.name] = _StoredSecret(stored)
            return Secret(stored)

    def get_secret(self, name: str) -> Secret:
        """The secret ``name`` (``<parent>/secrets/<id>``).

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed name; NOT_FOUND when absent.
        """
        with self._lock:
            return Secret(self._secret(name).message)

    def list_secrets(self, parent: str) -> list[Secret]:
        """The secrets under ``parent``, newest first as Google documents.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed parent.
        """
        if not _PARENT_RE.fullmatch(parent):
            raise _invalid(f"invalid parent {parent!r}")
        with self._lock:
            found = [
                Secret(s.message)
                for name, s in self._secrets.items()
                if name.rpartition("/secrets/")[0] == parent
            ]
        return found[::-1]  # dicts keep insertion order, which is creation order

    def delete_secret(self, name: str, etag: str = "") -> None:
        """Delete the secret ``name`` and all its versions.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed name; NOT_FOUND when absent; ABORTED
                when ``etag`` is given and stale.
        """
        with self._lock:
            secret = self._secret(name)
            _check_etag(etag, secret.message.etag, name)
            del self._secrets[name]

    # --- versions --------------------------------------------------------------------------

    def add_version(self, parent: str, payload: SecretPayload) -> SecretVersion:
        """Add an ENABLED version holding ``payload`` to the secret ``parent``.

        Args:
            parent: Secret name, ``<parent>/secrets/<id>``.
            payload: ``data`` of at most 64 KiB and optionally its ``data_crc32c``.

        Returns:
            The new version, numbered one past the secret's last.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed name, an oversized payload or a
                ``data_crc32c`` that does not match ``data``; NOT_FOUND when the secret is
                absent.
        """
        if len(payload.data) > _MAX_PAYLOAD_BYTES:
            raise _invalid(f"payload is larger than {_MAX_PAYLOAD_BYTES} bytes")
        crc32c = google_crc32c.value(payload.data)
        checksum_given = "data_crc32c" in payload
        if checksum_given and payload.data_crc32c != crc32c:
            raise _invalid("data_crc32c does not match the payload data (data corrupted?)")
        with self._lock:
            secret = self._secret(parent)
            version = SecretVersion(
                name=f"{parent}/versions/{len(secret.versions) + 1}",
                create_time=datetime.now(UTC),
                state=SecretVersion.State.ENABLED,
                etag=_new_etag(),
                client_specified_payload_checksum=checksum_given,
            )
            secret.versions.append(_StoredVersion(version, payload.data, crc32c))
            return SecretVersion(version)

    def get_version(self, name: str) -> SecretVersion:
        """The version ``name``; its id may be ``latest``.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed name; NOT_FOUND when the secret or
                version is absent.
        """
        with self._lock:
            return SecretVersion(self._version(name, allow_latest=True).message)

    def access_version(self, name: str) -> AccessSecretVersionResponse:
        """The data of the ENABLED version ``name``; its id may be ``latest``.

        Returns:
            The resolved version name (never ``latest``) and the payload with its
            ``data_crc32c``.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed name; NOT_FOUND when absent;
                FAILED_PRECONDITION when the version is DISABLED or DESTROYED.
        """
        with self._lock:
            stored = self._version(name, allow_latest=True)
            state = stored.message.state
            if state != SecretVersion.State.ENABLED:
                raise RpcError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"Secret Version [{stored.message.name}] is in {state.name} state.",
                )
            return AccessSecretVersionResponse(
                name=stored.message.name,
                payload=SecretPayload(data=stored.data, data_crc32c=stored.crc32c),
            )

    def list_versions(self, parent: str) -> list[SecretVersion]:
        """The versions of the secret ``parent``, newest first as Google documents.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed name; NOT_FOUND when absent.
        """
        with self._lock:
            return [SecretVersion(v.message) for v in reversed(self._secret(parent).versions)]

    def set_version_state(self, name: str, state: int, etag: str = "") -> SecretVersion:
        """Disable, enable or destroy the version ``name`` (a number, not ``latest``).

        Destroying drops the data for good and sets ``destroy_time``; no state can follow
        DESTROYED.

        Args:
            name: ``<secret>/versions/<n>``.
            state: ``SecretVersion.State.ENABLED``, ``DISABLED`` or ``DESTROYED``.
            etag: The version's current etag, or ``""`` to skip the check.

        Returns:
            The version in its new state.

        Raises:
            RpcError: INVALID_ARGUMENT for a malformed name; NOT_FOUND when absent;
                FAILED_PRECONDITION when the version is DESTROYED; ABORTED for a stale etag.
        """
        with self._lock:
            stored = self._version(name, allow_latest=False)
            version = stored.message
            _check_etag(etag, version.etag, name)
            if version.state == SecretVersion.State.DESTROYED:
                raise RpcError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"Secret Version [{version.name}] is in DESTROYED state.",
                )
            version.state = SecretVersion.State(state)
            version.etag = _new_etag()
            if state == SecretVersion.State.DESTROYED:
                version.destroy_time = datetime.now(UTC)
                stored.data = None
            return SecretVersion(version)

    # --- lookups (callers hold the lock) ---------------------------------------------------

    def _secret(self, name: str) -> _StoredSecret:
        if not _SECRET_RE.fullmatch(name):
            raise _invalid(f"invalid secret name {name!r}")
        secret = self._secrets.get(name)
        if secret is None:
            raise RpcError(grpc.StatusCode.NOT_FOUND, f"Secret [{name}] not found.")
        return secret

    def _version(self, name: str, *, allow_latest: bool) -> _StoredVersion:
        match = _VERSION_RE.fullmatch(name)
        if match is None:
            raise _invalid(f"invalid secret version name {name!r}")
        secret = self._secret(match.group("secret"))
        version_id = match.group("version")
        if allow_latest and version_id == LATEST:
            if not secret.versions:
                raise RpcError(
                    grpc.StatusCode.NOT_FOUND, f"Secret [{secret.message.name}] has no versions."
                )
            return secret.versions[-1]
        if not version_id.isdigit():
            raise _invalid(f"invalid secret version id {version_id!r}")
        number = int(version_id)
        if not 1 <= number <= len(secret.versions):
            raise RpcError(grpc.StatusCode.NOT_FOUND, f"Secret Version [{name}] not found.")
        return secret.versions[number - 1]
