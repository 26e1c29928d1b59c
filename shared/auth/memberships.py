"""People's access: the organisation a signed-in person acts for, and the scopes of their role.

A person (a Firebase uid) may belong to several organisations, with one role in each. A request
names the organisation in the ``X-Switchyard-Org`` header (:data:`ORG_HEADER`); without it, the
person's only membership is used, and a person with several must name one. Roles grant the
scopes of :data:`SCOPES_BY_ROLE`, the same scopes API keys hold (``shared.auth.scopes``).
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.domain.agents import Scope
from shared.domain.members import Membership, Role
from shared.errors import PermanentError
from shared.ports.membership_store import MembershipStore

ORG_HEADER = "X-Switchyard-Org"

SCOPES_BY_ROLE: Mapping[Role, tuple[Scope, ...]] = {
    "owner": ("admin",),
    "developer": ("agents:read", "agents:write", "runs:read", "runs:write", "credentials:write"),
    "viewer": ("agents:read", "runs:read"),
}


class NotAMemberError(PermanentError):
    """The person is signed in but is not a member of the organisation (or of any)."""

    http_status = 403


def select_membership(store: MembershipStore, uid: str, org_id: str | None) -> Membership:
    """The membership a signed-in person acts with.

    Args:
        store: Memberships.
        uid: The person's Firebase uid (from a verified ID token).
        org_id: The organisation the request names (:data:`ORG_HEADER`), or None.

    Returns:
        The person's membership of ``org_id``, or their only membership when none is named.

    Raises:
        NotAMemberError: Code ``not_a_member`` (not a member of ``org_id``) or
            ``no_membership`` (a member of no organisation).
        PermanentError: Code ``org_required`` (400): several memberships and none named.
        TransientError: The store is unavailable.
    """
    if org_id:
        membership = store.get(org_id, uid)
        if membership is None:
            raise NotAMemberError(
                "not_a_member", "you are not a member of the organisation named in X-Switchyard-Org"
            )
        return membership
    memberships = store.memberships_of(uid)
    if not memberships:
        raise NotAMemberError(
            "no_membership", "you are not a member of any organisation: ask an owner to add you"
        )
    if len(memberships) > 1:
        raise PermanentError(
            "org_required",
            "you belong to several organisations: name one in the X-Switchyard-Org header",
            org_ids=[m.org_id for m in memberships],
        )
    return memberships[0]
