"""Cloud Tasks resource names, checked the way Google checks them.

Formats (from the ``Queue.name`` and ``Task.name`` reference):
``projects/PROJECT_ID/locations/LOCATION_ID/queues/QUEUE_ID/tasks/TASK_ID``, where PROJECT_ID
holds letters, digits, hyphens, colons and periods; QUEUE_ID letters, digits and hyphens (at
most 100); TASK_ID letters, digits, hyphens and underscores (at most 500).
"""

from __future__ import annotations

import re

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
