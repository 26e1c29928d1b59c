"""Environments, API keys and the audit log: the methods both clients share by inheritance.

:class:`ManagementMethods` is mixed into :class:`switchyard.Client`, and
:class:`AsyncManagementMethods` into :class:`switchyard.AsyncClient`; the requests themselves
are built once, by the ``*_call`` functions here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from switchyard import _core
from switchyard.models import (
    ApiKey,
    AuditEvent,
    CreatedApiKey,
    EnvironmentChange,
    Environments,
)

M = TypeVar("M", bound=BaseModel)


def promote_call(
    agent_id: str, environment: str, version: int | None, from_environment: str | None
) -> _core.Call:
    """Promote ``environment`` to ``version`` or to what ``from_environment`` runs."""
    body: dict[str, Any] = {}
    if version is not None:
        body["version"] = version
    if from_environment is not None:
        body["from_environment"] = from_environment
    path = f"/v1/agents/{agent_id}/environments/{environment}/promote"
    return _core.Call("POST", path, json_body=body)


def rollback_call(agent_id: str, environment: str, version: int) -> _core.Call:
    """Roll ``environment`` back to ``version``."""
    path = f"/v1/agents/{agent_id}/environments/{environment}/rollback"
    return _core.Call("POST", path, json_body={"version": version})


def create_key_call(
    name: str, scopes: Sequence[str], mode: str, expires_in_s: int | None
) -> _core.Call:
    """Mint an API key."""
    body = {"name": name, "scopes": list(scopes), "mode": mode, "expires_in_s": expires_in_s}
    return _core.Call("POST", "/v1/keys", json_body=body)


class ManagementMethods:
    """Environments, keys and audit events for the synchronous client."""

    def _get(self, call: _core.Call, model: type[M]) -> M:
        raise NotImplementedError  # the client's own

    def _paginate(self, path: str, model: type[M], **params: Any) -> Iterator[M]:
        raise NotImplementedError  # the client's own

    def list_environments(self, agent_id: str) -> Environments:
        """The version each of the agent's environments (``dev``, ``staging``, ``prod``) runs.

        Raises:
            NotFoundError: No such agent.
        """
        path = f"/v1/agents/{agent_id}/environments"
        return self._get(_core.Call("GET", path), Environments)

    def promote(
        self,
        agent_id: str,
        environment: str,
        *,
        version: int | None = None,
        from_environment: str | None = None,
    ) -> EnvironmentChange:
        """Point ``environment`` at ``version``, or at the version ``from_environment`` runs.

        Raises:
            NotFoundError: No such agent, environment or version.
            ConflictError: ``promotion_to_earlier_version`` (roll back instead), or
                ``environment_changed`` (someone moved it meanwhile).
            BadRequestError: Neither or both of ``version`` and ``from_environment``.
        """
        call = promote_call(agent_id, environment, version, from_environment)
        return self._get(call, EnvironmentChange)

    def rollback(self, agent_id: str, environment: str, version: int) -> EnvironmentChange:
        """Point ``environment`` back at ``version``, earlier than the one it runs.

        Raises:
            NotFoundError: No such agent, environment or version.
            ConflictError: ``rollback_not_earlier`` or ``environment_changed``.
        """
        return self._get(rollback_call(agent_id, environment, version), EnvironmentChange)

    def create_key(
        self,
        name: str,
        scopes: Sequence[str],
        *,
        mode: str = "live",
        expires_in_s: int | None = None,
    ) -> CreatedApiKey:
        """Mint an API key (needs ``admin``); ``key`` is in this answer only.

        Raises:
            BadRequestError: A bad name, scope, mode or lifetime.
            PermissionDeniedError: The caller lacks ``admin``.
        """
        return self._get(create_key_call(name, scopes, mode, expires_in_s), CreatedApiKey)

    def list_keys(self, *, page_size: int = 50) -> Iterator[ApiKey]:
        """The organisation's keys, oldest first, a page at a time (needs ``admin``)."""
        return self._paginate("/v1/keys", ApiKey, page_size=page_size)

    def revoke_key(self, key_id: str) -> ApiKey:
        """Revoke a key (idempotent); effective everywhere within 5 s.

        Raises:
            NotFoundError: No such key in the organisation.
        """
        return self._get(_core.Call("POST", f"/v1/keys/{key_id}/revoke"), ApiKey)

    def list_audit_events(
        self,
        *,
        resource_type: str | None = None,
        resource_id: str | None = None,
        page_size: int = 50,
    ) -> Iterator[AuditEvent]:
        """Changes made through the API, newest first, a page at a time (needs ``admin``).

        Args:
            resource_type: Only about ``agent``, ``run``, ``api_key`` or ``credential``.
            resource_id: Only about this resource (with ``resource_type``).
            page_size: Events fetched per request.
        """
        return self._paginate(
            "/v1/audit-events",
            AuditEvent,
            resource_type=resource_type,
            resource_id=resource_id,
            page_size=page_size,
        )


class AsyncManagementMethods:
    """Environments, keys and audit events for the asynchronous client (see
    :class:`ManagementMethods` for each method's errors)."""

    async def _get(self, call: _core.Call, model: type[M]) -> M:
        raise NotImplementedError  # the client's own

    def _paginate(self, path: str, model: type[M], **params: Any) -> AsyncIterator[M]:
        raise NotImplementedError  # the client's own

    async def list_environments(self, agent_id: str) -> Environments:
        """The version each of the agent's environments runs."""
        path = f"/v1/agents/{agent_id}/environments"
        return await self._get(_core.Call("GET", path), Environments)

    async def promote(
        self,
        agent_id: str,
        environment: str,
        *,
        version: int | None = None,
        from_environment: str | None = None,
    ) -> EnvironmentChange:
        """Point ``environment`` at ``version``, or at the version ``from_environment`` runs."""
        call = promote_call(agent_id, environment, version, from_environment)
        return await self._get(call, EnvironmentChange)

    async def rollback(self, agent_id: str, environment: str, version: int) -> EnvironmentChange:
        """Point ``environment`` back at an earlier ``version``."""
        return await self._get(rollback_call(agent_id, environment, version), EnvironmentChange)

    async def create_key(
        self,
        name: str,
        scopes: Sequence[str],
        *,
        mode: str = "live",
        expires_in_s: int | None = None,
    ) -> CreatedApiKey:
        """Mint an API key; ``key`` is in this answer only."""
        return await self._get(create_key_call(name, scopes, mode, expires_in_s), CreatedApiKey)

    def list_keys(self, *, page_size: int = 50) -> AsyncIterator[ApiKey]:
        """The organisation's keys, oldest first, a page at a time."""
        return self._paginate("/v1/keys", ApiKey, page_size=page_size)

    async def revoke_key(self, key_id: str) -> ApiKey:
        """Revoke a key (idempotent)."""
        return await self._get(_core.Call("POST", f"/v1/keys/{key_id}/revoke"), ApiKey)

    def list_audit_events(
        self,
        *,
        resource_type: str | None = None,
        resource_id: str | None = None,
        page_size: int = 50,
    ) -> AsyncIterator[AuditEvent]:
        """Changes made through the API, newest first, a page at a time."""
        return self._paginate(
            "/v1/audit-events",
            AuditEvent,
            resource_type=resource_type,
            resource_id=resource_id,
            page_size=page_size,
        )
