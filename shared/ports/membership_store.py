"""MembershipStore: which organisations a person (a Firebase uid) belongs to, and as what."""

from __future__ import annotations

import abc

from shared.domain.agents import Page
from shared.domain.members import Membership

MAX_MEMBERSHIPS_PER_PERSON = 100


class MembershipStore(abc.ABC):
    """One membership per (organisation, uid); every organisation's listing is its own."""

    @abc.abstractmethod
    def put(self, membership: Membership) -> Membership:
        """Store ``membership``, replacing the person's earlier one in that organisation.

        Returns:
            The stored membership.
        """

    @abc.abstractmethod
    def get(self, org_id: str, uid: str) -> Membership | None:
        """The person's membership of ``org_id``, or None."""

    @abc.abstractmethod
    def remove(self, org_id: str, uid: str) -> bool:
        """Delete the person's membership of ``org_id``.

        Returns:
            True when one was deleted, False when there was none.
        """

    @abc.abstractmethod
    def list_members(
        self, org_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[Membership]:
        """The organisation's members, by uid.

        Args:
            org_id: The caller's organisation.
            page_size: Members per page, 1 to 1000.
            page_token: The previous page's ``next_page_token``.

        Raises:
            ValidationError: Code ``invalid_page_token`` or ``invalid_page_size``.
        """

    @abc.abstractmethod
    def memberships_of(self, uid: str) -> tuple[Membership, ...]:
        """Every membership of the person, by organisation id (at most
        :data:`MAX_MEMBERSHIPS_PER_PERSON`)."""
