"""InMemoryMembershipStore: the MembershipStore twin, for unit tests."""

from __future__ import annotations

import threading

from shared.adapters.store_support import (
    check_page_size,
    decode_page_token,
    encode_page_token,
    make_page,
)
from shared.domain.agents import Page
from shared.domain.members import Membership
from shared.ports.membership_store import MAX_MEMBERSHIPS_PER_PERSON, MembershipStore


class InMemoryMembershipStore(MembershipStore):
    """Memberships in a dict keyed by (org_id, uid), safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._members: dict[tuple[str, str], Membership] = {}

    def put(self, membership: Membership) -> Membership:
        """See :meth:`MembershipStore.put`."""
        with self._lock:
            self._members[(membership.org_id, membership.uid)] = membership.model_copy(deep=True)
        return membership

    def get(self, org_id: str, uid: str) -> Membership | None:
        """See :meth:`MembershipStore.get`."""
        with self._lock:
            found = self._members.get((org_id, uid))
        return found.model_copy(deep=True) if found else None

    def remove(self, org_id: str, uid: str) -> bool:
        """See :meth:`MembershipStore.remove`."""
        with self._lock:
            return self._members.pop((org_id, uid), None) is not None

    def list_members(
        self, org_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[Membership]:
        """See :meth:`MembershipStore.list_members`.

        Raises:
            ValidationError: Code ``invalid_page_token`` or ``invalid_page_size``.
        """
        check_page_size(page_size)
        after = decode_page_token(page_token, "members", str)[0] if page_token else None
        with self._lock:
            members = sorted(
                (m for (org, _), m in self._members.items() if org == org_id),
                key=lambda m: m.uid,
            )
        members = [m for m in members if after is None or m.uid > after]
        return make_page(
            members[: page_size + 1], page_size, lambda m: encode_page_token("members", m.uid)
        )

    def memberships_of(self, uid: str) -> tuple[Membership, ...]:
        """See :meth:`MembershipStore.memberships_of`."""
        with self._lock:
            found = sorted(
                (m for (_, person), m in self._members.items() if person == uid),
                key=lambda m: m.org_id,
            )
        return tuple(found[:MAX_MEMBERSHIPS_PER_PERSON])
