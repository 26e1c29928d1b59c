"""Cloud Tasks resource names and list paging, checked the way Google checks them.

Formats (from the ``Queue.name`` and ``Task.name`` reference):
``projects/PROJECT_ID/locations/LOCATION_ID/queues/QUEUE_ID/tasks/TASK_ID``, where PROJECT_ID
holds letters, digits, hyphens, colons and periods; QUEUE_ID letters, digits and hyphens (at
most 100); TASK_ID letters, digits, hyphens and underscores (at most 500).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
from collections.abc import Sequence

import grpc

from emulators.grpc_service import RpcError

_LOCATION = r"projects/[A-Za-z0-9:.\-]+/locations/[A-Za-z0-9\-]+"
_QUEUE = _LOCATION + r"/queues/[A-Za-z0-9\-]{1,100}"
_TASK = _QUEUE + r"/tasks/[A-Za-z0-9_\-]{1,500}"

_PATTERNS = {
    "location": re.compile(_LOCATION),
    "queue": re.compile(_QUEUE),
    "task": re.compile(_TASK),
}


def checked(name: str, kind: str) -> str:
    """Return ``name`` when it is a well-formed resource name of ``kind``.

    Args:
        name: Full resource name, such as ``projects/p/locations/l/queues/q``.
        kind: ``"location"``, ``"queue"`` or ``"task"``.

    Returns:
        ``name`` unchanged.

    Raises:
        RpcError: INVALID_ARGUMENT when the name does not match the format.
    """
    if not _PATTERNS[kind].fullmatch(name):
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, f"invalid {kind} name: {name!r}")
    return name


def parent_of(name: str) -> str:
    """The parent of a queue or task name (its location or queue)."""
    return name.rsplit("/", 2)[0]


def short_id(name: str) -> str:
    """The last segment of a resource name: ``QUEUE_ID`` or ``TASK_ID``."""
    return name.rsplit("/", 1)[1]


def page(
    names: Sequence[str], page_size: int, page_token: str, max_page_size: int
) -> tuple[list[str], str]:
    """One page of a sorted list of names, resuming after the name the token carries.

    The token holds the last name returned rather than an offset, so deletions between two
    calls neither skip nor repeat items.

    Args:
        names: All names, sorted.
        page_size: Requested size; 0 means ``max_page_size`` (Google: "If unspecified, the
            page size will be the maximum").
        page_token: Empty for the first page, else a ``next_page_token`` returned before.
        max_page_size: The method's largest page.

    Returns:
        ``(names_on_this_page, next_page_token)``; the token is empty on the last page.

    Raises:
        RpcError: INVALID_ARGUMENT for a negative page size or a token this emulator did not
            issue.
    """
    if page_size < 0:
        raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "page_size must not be negative")
    size = min(page_size or max_page_size, max_page_size)
    start = 0
    if page_token:
        try:
            after = base64.urlsafe_b64decode(page_token.encode()).decode()
        except (binascii.Error, UnicodeDecodeError) as error:
            raise RpcError(grpc.StatusCode.INVALID_ARGUMENT, "invalid page_token") from error
        start = bisect.bisect_right(names, after)
    chunk = list(names[start : start + size])
    more = start + size < len(names)
    token = base64.urlsafe_b64encode(chunk[-1].encode()).decode() if more and chunk else ""
    return chunk, token
