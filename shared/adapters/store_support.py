"""What every store does the same way, whatever its backend: ids, the clock and pages.

Both implementations of a storage port use these helpers, so the in-memory twin accepts exactly
the ids and page tokens the Firestore adapter accepts, and pages the same way.

A page token is URL-safe base64 of a JSON array: the listing's name, then the sort key of the
page's last item (``["runs", "<created_at ISO 8601>", "<run_id>"]``). It is opaque to callers;
a token that does not decode to its own listing's shape is refused.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from shared.domain.agents import Page
from shared.errors import ValidationError

T = TypeVar("T")

MAX_PAGE_SIZE = 1000
# Firestore document id rules: https://firebase.google.com/docs/firestore/quotas#collections_documents_and_fields
_MAX_ID_BYTES = 1500
_RESERVED_ID = re.compile(r"^__.*__$")

TokenKey = str | int | datetime


def new_id() -> str:
    """A random resource id: 32 lowercase hex digits (never a timestamp or counter)."""
    return uuid.uuid4().hex


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def is_document_id(value: str) -> bool:
    """True when ``value`` can name a Firestore document (and so a stored resource).

    Firestore refuses ids that contain ``/``, are ``.`` or ``..``, match ``__.*__`` or exceed
    1,500 bytes; ids from URLs and headers are checked before they reach a document path.
    """
    return (
        bool(value)
        and "/" not in value
        and value not in {".", ".."}
        and not _RESERVED_ID.match(value)
        and len(value.encode()) <= _MAX_ID_BYTES
    )


def check_document_id(field: str, value: str) -> None:
    """Refuse an id that cannot name a stored resource.

    Raises:
        ValidationError: Code ``invalid_id``.
    """
    if not is_document_id(value):
        message = f"{value!r} is not a valid id"
        raise ValidationError(
            "invalid_id", f"{field} {message}", errors=[{"field": field, "message": message}]
        )


def check_page_size(page_size: int) -> None:
    """Refuse a page size (or list limit) outside 1 to ``MAX_PAGE_SIZE`` items.

    Raises:
        ValidationError: Code ``invalid_page_size``.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationError(
            "invalid_page_size", f"page size must be 1 to {MAX_PAGE_SIZE}, not {page_size}"
        )


def encode_page_token(listing: str, *key: TokenKey) -> str:
    """The token of a page that ends at the item with sort key ``key``."""
    values = [value.isoformat() if isinstance(value, datetime) else value for value in key]
    return base64.urlsafe_b64encode(json.dumps([listing, *values]).encode()).decode()


def decode_page_token(token: str, listing: str, *types: type[TokenKey]) -> tuple[Any, ...]:
    """The sort key inside a token that :func:`encode_page_token` made for ``listing``.

    Args:
        token: The caller's page token.
        listing: The listing the token must belong to, such as ``"runs"``.
        *types: The type of each key part: ``int``, ``datetime`` (aware), or ``str`` (an id
            or a name, which must be a valid document id: it may become a query cursor).

    Returns:
        The key parts, converted to ``types``.

    Raises:
        ValidationError: Code ``invalid_page_token``.
    """
    try:
        raw = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        if not isinstance(raw, list) or len(raw) != len(types) + 1 or raw[0] != listing:
            raise ValueError("not a token of this listing")
        return tuple(_key_part(value, kind) for value, kind in zip(raw[1:], types, strict=True))
    except (ValueError, TypeError):
        raise ValidationError(
            "invalid_page_token", f"the page token is not one this {listing} listing issued"
        ) from None


def _key_part(value: Any, kind: type[TokenKey]) -> TokenKey:
    if kind is datetime and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive timestamp")
        return moment
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str) and is_document_id(value):
        return value
    raise TypeError(f"{value!r} is not a {kind.__name__}")


def make_page(items: Sequence[T], page_size: int, token_of: Callable[[T], str]) -> Page[T]:
    """A page of the first ``page_size`` of ``items``.

    Args:
        items: Up to ``page_size + 1`` items in listing order; one more than the page holds
            means another page follows.
        page_size: Items per page.
        token_of: The page token of a page ending at the given item.
    """
    if len(items) <= page_size:
        return Page(items=tuple(items))
    return Page(items=tuple(items[:page_size]), next_page_token=token_of(items[page_size - 1]))
