"""FirestoreMembershipStore: memberships in the ``memberships`` collection.

One document per (organisation, person), under the id ``<org_id>:<uid>``, so that an
organisation's members sort by uid under an equality filter on ``org_id`` ordered by document
id, and a person's memberships are an equality filter on ``uid``: both are served by Firestore's
automatic single-field indexes, no composite index is needed.
"""

from __future__ import annotations

from google.api_core.exceptions import NotFound
from google.cloud import firestore

from shared.adapters.firestore_support import DocumentCodec, firestore_errors, snapshot_data
from shared.adapters.store_support import (
    check_page_size,
    decode_page_token,
    encode_page_token,
    make_page,
)
from shared.domain.agents import Page
from shared.domain.members import Membership
from shared.ports.membership_store import MAX_MEMBERSHIPS_PER_PERSON, MembershipStore
from shared.resources import MEMBERSHIPS

_MEMBERSHIP = DocumentCodec(Membership)


def _document_id(org_id: str, uid: str) -> str:
    return f"{org_id}:{uid}"


class FirestoreMembershipStore(MembershipStore):
    """Memberships in Firestore.

    Besides the errors each method names, every method raises :class:`TransientError` (code
    ``firestore_unavailable``) when Firestore fails in a way a retry may fix.

    Args:
        client: Firestore client (of the emulator when ``FIRESTORE_EMULATOR_HOST`` is set).
    """

    def __init__(self, client: firestore.Client) -> None:
        self._memberships = client.collection(MEMBERSHIPS)

    @firestore_errors()
    def put(self, membership: Membership) -> Membership:
        """See :meth:`MembershipStore.put`."""
        document = self._memberships.document(_document_id(membership.org_id, membership.uid))
        document.set(_MEMBERSHIP.encode(membership))
        return membership

    @firestore_errors()
    def get(self, org_id: str, uid: str) -> Membership | None:
        """See :meth:`MembershipStore.get`."""
        snapshot = self._memberships.document(_document_id(org_id, uid)).get()
        return _MEMBERSHIP.decode(snapshot_data(snapshot)) if snapshot.exists else None

    @firestore_errors()
    def remove(self, org_id: str, uid: str) -> bool:
        """See :meth:`MembershipStore.remove`."""
        document = self._memberships.document(_document_id(org_id, uid))
        # A delete on condition that the document exists: of two concurrent removals, one
        # answers True.
        try:
            document.delete(option=firestore.Client.write_option(exists=True))
        except NotFound:
            return False
        return True

    @firestore_errors()
    def list_members(
        self, org_id: str, *, page_size: int = 50, page_token: str | None = None
    ) -> Page[Membership]:
        """See :meth:`MembershipStore.list_members`.

        Raises:
            ValidationError: Code ``invalid_page_token`` or ``invalid_page_size``.
        """
        check_page_size(page_size)
        query = self._memberships.where(
            filter=firestore.FieldFilter("org_id", "==", org_id)
        ).order_by("__name__")
        if page_token is not None:
            (uid,) = decode_page_token(page_token, "members", str)
            query = query.start_after({"__name__": _document_id(org_id, uid)})
        found = [_MEMBERSHIP.decode(snapshot_data(s)) for s in query.limit(page_size + 1).stream()]
        return make_page(found, page_size, lambda m: encode_page_token("members", m.uid))

    @firestore_errors()
    def memberships_of(self, uid: str) -> tuple[Membership, ...]:
        """See :meth:`MembershipStore.memberships_of`."""
        query = self._memberships.where(filter=firestore.FieldFilter("uid", "==", uid))
        found = [_MEMBERSHIP.decode(snapshot_data(s)) for s in query.stream()]
        return tuple(sorted(found, key=lambda m: m.org_id)[:MAX_MEMBERSHIPS_PER_PERSON])
