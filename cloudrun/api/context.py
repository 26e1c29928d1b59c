"""What a request handler reaches through the app: dependencies, the authenticator, the caller."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, cast

from flask import current_app, g

from shared.auth.authenticator import ApiKeyAuthenticator
from shared.auth.rate_limit import TokenBucketLimiter
from shared.composition import Dependencies, get_dependencies

if TYPE_CHECKING:
    from shared.auth.firebase import FirebaseIdTokens

EXTENSION_KEY = "switchyard"


class ApiContext:
    """One app's dependencies and authenticators, resolved on first use.

    Args:
        deps: The dependencies to use; None takes the process's own from
            :func:`shared.composition.get_dependencies` on the first request that needs them,
            so that importing or creating the app touches no Google service.
    """

    def __init__(self, deps: Dependencies | None) -> None:
        self._given = deps

    @cached_property
    def deps(self) -> Dependencies:
        """The dependencies (built on first access when none were given)."""
        return self._given if self._given is not None else get_dependencies()

    @cached_property
    def authenticator(self) -> ApiKeyAuthenticator:
        """The key authenticator; it caches the pepper for the life of the process."""
        return ApiKeyAuthenticator(self.deps.identities, self.deps.secrets, clock=self.deps.clock)

    @cached_property
    def id_tokens(self) -> FirebaseIdTokens:
        """The Firebase ID token verifier (one firebase-admin app per process).

        firebase-admin is imported here, on the first request with an ID token, so that API
        keys alone never load it.
        """
        from shared.auth.firebase import FirebaseIdTokens
        from shared.gcp_clients import firebase_app

        return FirebaseIdTokens(firebase_app(self.deps.settings))

    @cached_property
    def failure_limiter(self) -> TokenBucketLimiter:
        """Failed authentications per client address on this instance
        (``AUTH_FAILURE_RATE_PER_S``, ``AUTH_FAILURE_BURST`` in the app's config)."""
        config = current_app.config
        return TokenBucketLimiter(config["AUTH_FAILURE_RATE_PER_S"], config["AUTH_FAILURE_BURST"])

    @cached_property
    def limiter(self) -> TokenBucketLimiter:
        """The per-key request limit of this instance (``RATE_LIMIT_PER_S``, ``RATE_LIMIT_BURST``
        in the app's config; see :mod:`shared.auth.rate_limit` for why per instance)."""
        config = current_app.config
        return TokenBucketLimiter(config["RATE_LIMIT_PER_S"], config["RATE_LIMIT_BURST"])


def api_context() -> ApiContext:
    """The current app's :class:`ApiContext` (inside an app context)."""
    return cast(ApiContext, current_app.extensions[EXTENSION_KEY])


def dependencies() -> Dependencies:
    """The current app's dependencies (inside an app context)."""
    return api_context().deps


def caller_org_id() -> str:
    """The caller's organisation, set by ``cloudrun.api.auth.authenticate``."""
    return cast(str, g.org_id)
