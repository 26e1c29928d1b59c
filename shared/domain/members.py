"""Organisation memberships of people who sign in with Firebase Authentication."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.domain.base import Model

Role = Literal["owner", "developer", "viewer"]
"""What a member may do (the scopes of each: ``shared.auth.memberships.SCOPES_BY_ROLE``)."""


class Membership(Model):
    """A person's place in an organisation.

    Attributes:
        org_id: The organisation.
        uid: The person's Firebase Authentication user id (at most 128 characters).
        role: ``owner``, ``developer`` or ``viewer``.
        email: The person's email when known, for display only (never used to authorise).
        created_at: When the membership was stored or its role last set (UTC).
        created_by: Who stored it (``api_key:<id>``, ``user:<uid>``, ``bootstrap``).
    """

    schema_version: Literal[1] = 1
    org_id: str
    uid: str = Field(min_length=1, max_length=128)
    role: Role
    email: str | None = None
    created_at: datetime
    created_by: str
