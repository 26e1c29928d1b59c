"""CredentialStore: credential metadata and grants (Firestore ``credentials`` in production)."""

from __future__ import annotations

import abc
from datetime import datetime

from shared.domain.agents import Page
from shared.domain.credentials import Credential, Grant


class CredentialStore(abc.ABC):
    """Stores :class:`Credential` metadata; the secret values are in the SecretStore."""

    @abc.abstractmethod
    def create(self, credential: Credential) -> None:
        """Store a new credential.

        Raises:
            ConflictError: Its id is taken.
            TransientError: The store is unavailable.
        """

    @abc.abstractmethod
    def get(self, credential_id: str) -> Credential:
        """The credential.

        Raises:
            NotFoundError: Code ``credential_not_found``.
            TransientError: The store is unavailable.
        """

    @abc.abstractmethod
    def list_for_org(
        self, org_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[Credential]:
        """One page of the organisation's credentials, revoked ones included, oldest first.

        Args:
            org_id: The organisation.
            page_size: Items per page, 1 to 100.
            page_token: ``next_page_token`` of the previous page, or None for the first.

        Raises:
            ValidationError: Code ``invalid_page_token`` or ``invalid_page_size``.
            TransientError: The store is unavailable.
        """

    @abc.abstractmethod
    def add_grant(self, credential_id: str, grant: Grant) -> Credential:
        """Add ``grant``, replacing the grant of the same agent; returns the credential.

        Raises:
            NotFoundError: Code ``credential_not_found``.
        """

    @abc.abstractmethod
    def revoke(self, credential_id: str, at: datetime) -> Credential:
        """Mark revoked at ``at`` (the first revocation time is kept).

        Raises:
            NotFoundError: Code ``credential_not_found``.
        """

    @abc.abstractmethod
    def record_refresh(self, credential_id: str, expires_at: datetime | None) -> None:
        """Record the expiry of a freshly refreshed OAuth 2.0 access token."""

    @abc.abstractmethod
    def record_use(self, credential_id: str, at: datetime) -> None:
        """Record that the proxy injected the credential at ``at``."""
