"""Listing an organisation's API keys one page at a time, oldest first.

An organisation holds at most a few hundred keys, which ``IdentityStore.list_api_keys`` reads
in one query; a page is cut from that list after its token's ``(created_at, key_id)``, so
tokens work as every other list's (:mod:`shared.adapters.store_support`).
"""

from __future__ import annotations

from datetime import datetime

from shared.adapters.store_support import (
    check_page_size,
    decode_page_token,
    encode_page_token,
    make_page,
)
from shared.auth.keys import ApiKeyView, list_keys
from shared.composition import Dependencies
from shared.domain.agents import Page


def list_key_page(
    deps: Dependencies, org_id: str, *, page_size: int = 50, page_token: str | None = None
) -> Page[ApiKeyView]:
    """One page of the organisation's keys, oldest first, revoked and expired ones included.

    Raises:
        ValidationError: Code ``invalid_page_token`` or ``invalid_page_size``.
        TransientError: The store is unavailable.
    """
    check_page_size(page_size)
    views = list_keys(deps, org_id)
    if page_token is not None:
        after = decode_page_token(page_token, "keys", datetime, str)
        views = tuple(view for view in views if (view.created_at, view.key_id) > after)
    return make_page(
        views[: page_size + 1],
        page_size,
        lambda view: encode_page_token("keys", view.created_at, view.key_id),
    )
