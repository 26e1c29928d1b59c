"""Verifying an API key against its stored record.

Records are cached per instance for at most ``cache_ttl_s`` (5 s), so a revocation reaches every
instance within seconds while a busy key costs one Firestore read per instance every 5 s.
``last_used_at`` is written at most once a minute per key (and per instance), never on every
request, so a key's document sees no more than a write a minute per instance.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cached_property

from shared import resources
from shared.auth.api_keys import parse_key, secret_matches
from shared.domain.agents import ApiKey
from shared.errors import NotFoundError, TransientError, UnauthenticatedError
from shared.ports.identity_store import IdentityStore
from shared.ports.secret_store import SecretStore

CACHE_TTL_S = 5.0
LAST_USED_INTERVAL = timedelta(minutes=1)

logger = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ApiKeyAuthenticator:
    """Checks API keys; reads the pepper once and keeps it for the life of the process.

    One instance per process: the pepper changes only when an operator rotates it, which
    invalidates every key anyway, and a restart picks the new one up.

    Args:
        identities: Where key records live.
        secrets: Where the pepper (``resources.API_KEY_PEPPER_SECRET``) lives.
        clock: Wall clock (UTC) for expiry and last-used times.
        monotonic: Seconds for the cache's age (``time.monotonic``).
        cache_ttl_s: How long a record read is reused, in seconds (0 disables the cache).
    """

    def __init__(
        self,
        identities: IdentityStore,
        secrets: SecretStore,
        *,
        clock: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        cache_ttl_s: float = CACHE_TTL_S,
    ) -> None:
        self._identities = identities
        self._secrets = secrets
        self._clock = clock
        self._monotonic = monotonic
        self._cache_ttl_s = cache_ttl_s
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, ApiKey]] = {}
        self._last_written: dict[str, datetime] = {}

    @cached_property
    def pepper(self) -> bytes:
        """The platform pepper.

        Raises:
            TransientError: Code ``api_keys_unavailable``: the pepper does not exist yet (the
                platform was not bootstrapped) or the secret service is down. A failure is not
                cached, so the next request tries again.
        """
        try:
            return self._secrets.access(resources.API_KEY_PEPPER_SECRET)
        except NotFoundError as error:
            raise TransientError(
                "api_keys_unavailable",
                "API keys cannot be checked: the platform has not been bootstrapped",
            ) from error

    def forget(self, key_id: str) -> None:
        """Drop a cached record (after this instance revoked or rotated the key)."""
        with self._lock:
            self._cache.pop(key_id, None)

    def _record(self, key_id: str) -> ApiKey | None:
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is not None and now - cached[0] < self._cache_ttl_s:
            return cached[1]
        record = self._identities.find_api_key(key_id)
        if record is not None and self._cache_ttl_s > 0:
            with self._lock:
                self._cache[key_id] = (now, record)
        return record

    def _note_use(self, record: ApiKey, now: datetime) -> None:
        with self._lock:
            last = self._last_written.get(record.key_id) or record.last_used_at
            if last is not None and now - last < LAST_USED_INTERVAL:
                return
            self._last_written[record.key_id] = now
        try:
            self._identities.record_api_key_use(record.key_id, now)
        except TransientError:  # a lost last-used time must not fail the request
            logger.warning("could not record the use of API key %s", record.key_id)

    def authenticate(self, key: str) -> ApiKey:
        """The record of a valid, unrevoked, unexpired key.

        The key's form and checksum are checked first, offline: a typo costs no read.

        Args:
            key: The key as the client sent it (``sy_live_<key_id>_<secret><checksum>``).

        Returns:
            The key's stored record; its ``org_id`` scopes the request, its ``scopes`` what it
            may do.

        Raises:
            UnauthenticatedError: Code ``invalid_api_key`` (malformed, bad checksum, unknown or
                wrong), ``api_key_revoked`` or ``api_key_expired``.
            TransientError: The pepper or the key record cannot be read now.
        """
        parsed = parse_key(key)
        record = self._record(parsed.key_id)
        if (
            record is None
            or record.mode != parsed.mode
            or not secret_matches(parsed.secret, self.pepper, record.secret_hash)
        ):
            raise UnauthenticatedError("invalid_api_key", "the API key is not valid")
        now = self._clock()
        if record.revoked:
            raise UnauthenticatedError("api_key_revoked", "the API key has been revoked")
        if record.expires_at is not None and record.expires_at <= now:
            raise UnauthenticatedError("api_key_expired", "the API key has expired")
        self._note_use(record, now)
        return record
