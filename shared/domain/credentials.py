"""Credentials of integrations (metadata only), their grants to agents, and audit entries.

The secret values live in Secret Manager under :func:`shared.resources.credential_secret_id`;
nothing in this module ever holds one, so every model here may be stored, logged and returned.
"""

from __future__ import annotations

import fnmatch
from datetime import datetime
from enum import StrEnum

from pydantic import Field, field_validator

from shared.domain.base import Model


class CredentialType(StrEnum):
    """How the proxy injects a credential."""

    API_KEY = "api_key"  # the value in the credential's ``header``
    BEARER = "bearer"  # ``Authorization: Bearer <value>``
    OAUTH2 = "oauth2"  # ``Authorization: Bearer <access token>``, refreshed before expiry


class Grant(Model):
    """What one agent may do with a credential; anything else is refused.

    Attributes:
        agent_id: The agent.
        hosts: Exact host names (lower case), e.g. ``api.github.com``.
        methods: HTTP methods, upper case.
        paths: ``fnmatch`` patterns of the URL path, e.g. ``/repos/acme/*``.
    """

    agent_id: str
    hosts: tuple[str, ...] = Field(min_length=1)
    methods: tuple[str, ...] = ("GET",)
    paths: tuple[str, ...] = ("/*",)

    @field_validator("hosts")
    @classmethod
    def _lower_hosts(cls, hosts: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(h.rstrip(".").lower() for h in hosts)

    @field_validator("methods")
    @classmethod
    def _upper_methods(cls, methods: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(m.upper() for m in methods)

    def allows(self, method: str, host: str, path: str) -> bool:
        """Whether this grant covers ``method host path`` (``path`` without the query)."""
        return (
            method.upper() in self.methods
            and host.rstrip(".").lower() in self.hosts
            and any(fnmatch.fnmatchcase(path or "/", pattern) for pattern in self.paths)
        )


class Credential(Model):
    """A credential's metadata; its secret is in Secret Manager.

    Attributes:
        credential_id: Random id; also the reference agents and specs use.
        org_id: Owning organisation.
        name: Display name.
        type: How it is injected.
        secret_id: The Secret Manager secret holding the value(s).
        header: Header carrying an ``api_key`` credential.
        scopes: OAuth scopes (informational).
        token_url: OAuth 2.0 token endpoint (refresh-token grant).
        client_id: OAuth 2.0 client id (not a secret).
        expires_at: When the current access token expires (OAuth 2.0).
        grants: Agents allowed to use it, and for what.
        created_at: When it was stored.
        last_used_at: When the proxy last injected it (updated at most once a minute).
        revoked_at: Set when revoked; a revoked credential is never injected again.
    """

    schema_version: int = 1
    credential_id: str
    org_id: str
    name: str
    type: CredentialType
    secret_id: str
    header: str = "X-Api-Key"
    scopes: tuple[str, ...] = ()
    token_url: str | None = None
    client_id: str | None = None
    expires_at: datetime | None = None
    grants: tuple[Grant, ...] = ()
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class AuditEntry(Model):
    """One tool call as the proxy saw it; never a secret.

    Attributes:
        audit_id: Random id.
        org_id: Organisation.
        agent_id: Agent.
        run_id: Run.
        step: Model step.
        call_index: Call within the step.
        tool: Tool name (as the model asked, granted or not).
        targets: ``METHOD URL`` of every request made or refused (secrets redacted).
        credential_id: The credential referenced, if any.
        result: ``succeeded``, ``refused`` or ``failed``.
        error_code: The error's code when not succeeded.
        duration_s: Time the call took, in seconds.
        created_at: When it ended.
    """

    schema_version: int = 1
    audit_id: str
    org_id: str
    agent_id: str
    run_id: str
    step: int
    call_index: int
    tool: str
    targets: tuple[str, ...] = ()
    credential_id: str | None = None
    result: str
    error_code: str | None = None
    duration_s: float = 0.0
    created_at: datetime
