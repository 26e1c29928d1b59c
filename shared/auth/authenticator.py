"""Verifying an API key against its stored record."""

from __future__ import annotations

from functools import cached_property

from shared import resources
from shared.auth.api_keys import parse_api_key, secret_matches
from shared.domain.agents import ApiKey
from shared.errors import NotFoundError, TransientError, UnauthenticatedError
from shared.ports.identity_store import IdentityStore
from shared.ports.secret_store import SecretStore


class ApiKeyAuthenticator:
    """Checks API keys; reads the pepper once and keeps it for the life of the process.

    One instance per process: the pepper changes only when an operator rotates it, which
    invalidates every key anyway, and a restart picks the new one up.

    Args:
        identities: Where key records live.
        secrets: Where the pepper (``resources.API_KEY_PEPPER_SECRET``) lives.
    """

    def __init__(self, identities: IdentityStore, secrets: SecretStore) -> None:
        self._identities = identities
        self._secrets = secrets

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

    def authenticate(self, key: str) -> ApiKey:
        """The record of a valid, unrevoked key.

        Args:
            key: The key as the client sent it (``sy_live_<key_id>_<secret>``).

        Returns:
            The key's stored record; its ``org_id`` scopes the request.

        Raises:
            UnauthenticatedError: Code ``invalid_api_key``: malformed, unknown, revoked or wrong.
            TransientError: The pepper or the key record cannot be read now.
        """
        key_id, secret = parse_api_key(key)
        record = self._identities.find_api_key(key_id)
        if (
            record is None
            or record.revoked
            or not secret_matches(secret, self.pepper, record.secret_hash)
        ):
            raise UnauthenticatedError("invalid_api_key", "the API key is not valid")
        return record
