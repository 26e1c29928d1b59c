"""API key scopes: what a key may do.

``admin`` includes every other scope (and alone may manage keys). A ``:write`` scope does not
include its ``:read``: a CI key that only starts runs need not read them back.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import get_args

from shared.domain.agents import Scope

ALL_SCOPES: tuple[Scope, ...] = get_args(Scope)
ADMIN: Scope = "admin"


def grants(scopes: Collection[Scope], required: Scope) -> bool:
    """True when a key holding ``scopes`` may do what ``required`` guards."""
    return required in scopes or ADMIN in scopes
