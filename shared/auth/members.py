"""Managing an organisation's members: ``/v1/members`` (owners and ``admin`` keys).

Adding a person who is a member already sets their role. A person is named by Firebase uid or
by email (looked up in Firebase Authentication, so they must have signed up first).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

from pydantic import Field, model_validator

from shared.adapters.store_support import check_document_id
from shared.composition import Dependencies
from shared.domain.agents import Page
from shared.domain.base import Model
from shared.domain.members import Membership, Role
from shared.errors import NotFoundError


class NewMember(Model):
    """A person to add, or whose role to set.

    Attributes:
        uid: Their Firebase uid; or
        email: their email (exactly one of the two).
        role: ``owner``, ``developer`` or ``viewer``.
    """

    uid: str | None = Field(default=None, min_length=1, max_length=128)
    email: str | None = Field(default=None, min_length=3, max_length=320)
    role: Role

    @model_validator(mode="after")
    def _one_name(self) -> Self:
        if (self.uid is None) == (self.email is None):
            raise ValueError("give exactly one of uid and email")
        return self


def add_member(
    deps: Dependencies,
    org_id: str,
    new: NewMember,
    actor: str,
    uid_for_email: Callable[[str], str],
) -> tuple[Membership, bool]:
    """Add a person to the organisation, or set their role.

    Args:
        deps: Dependencies.
        org_id: The caller's organisation.
        new: Who and with which role.
        actor: Who adds them (``api_key:<id>``, ``user:<uid>``).
        uid_for_email: Finds a uid by email (``FirebaseIdTokens.uid_for_email``).

    Returns:
        ``(membership, created)``: the stored membership, and False when the person was a
        member already (their role is now ``new.role``).

    Raises:
        ValidationError: Code ``invalid_id``: the uid cannot name a stored membership.
        NotFoundError: Code ``user_not_found``: no user has the email.
        TransientError: A store or Firebase Authentication is unavailable.
    """
    uid = new.uid if new.uid is not None else uid_for_email(str(new.email))
    check_document_id("uid", uid)
    membership = Membership(
        org_id=org_id,
        uid=uid,
        role=new.role,
        email=new.email,
        created_at=deps.clock(),
        created_by=actor,
    )
    created = deps.members.get(org_id, uid) is None
    return deps.members.put(membership), created


def remove_member(deps: Dependencies, org_id: str, uid: str) -> None:
    """Remove a person from the organisation; their ID tokens stop working for it at once.

    Raises:
        NotFoundError: Code ``member_not_found``.
        TransientError: The store is unavailable.
    """
    if not deps.members.remove(org_id, uid):
        raise NotFoundError("member_not_found", f"no member {uid} in this organisation")


def list_members(
    deps: Dependencies, org_id: str, page_size: int, page_token: str | None
) -> Page[Membership]:
    """The organisation's members by uid, one page.

    Raises:
        ValidationError: Code ``invalid_page_token`` or ``invalid_page_size``.
    """
    return deps.members.list_members(org_id, page_size=page_size, page_token=page_token)
