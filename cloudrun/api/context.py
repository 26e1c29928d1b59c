"""What a request handler reaches through the app: dependencies, the authenticator, the caller."""

from __future__ import annotations

from functools import cached_property
from typing import cast

from flask import current_app, g

from shared.auth.authenticator import ApiKeyAuthenticator
from shared.auth.rate_limit import TokenBucketLimiter
from shared.composition import Dependencies, get_dependencies

EXTENSION_KEY = "switchyard"


class ApiContext:
    """One app's dependencies and key authenticator, resolved on first use.

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
    """The organisation of the request's API key, set by ``require_api_key``."""
    return cast(str, g.org_id)
