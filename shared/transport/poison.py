"""Poison input: a message or task that cannot be decoded, and the run it may still name.

A body that fails validation is never retried (it would fail the same way), so it is
dead-lettered by its transport. When it still names a run (a JSON object whose ``run_id`` is a
string of an existing run, with the rest garbled), that run would otherwise wait for work that
will never come: :func:`fail_named_run` fails it with the reason, which alerts its owner.
"""

from __future__ import annotations

import json
import logging
import re

from shared.composition import Dependencies
from shared.domain.runs import RunStatus
from shared.errors import NotFoundError, PermanentError
from shared.pipeline.lifecycle import stop_run
from shared.ports.run_store import ClaimOutcome

logger = logging.getLogger(__name__)

_NON_TERMINAL = frozenset(status for status in RunStatus if not status.terminal)
# Run ids are hex (shared.pipeline.trigger.new_id); anything else cannot name a stored run, and
# must not reach a document path.
_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def named_run_id(raw: bytes) -> str | None:
    """The ``run_id`` string of a JSON object body, or None when there is none to read."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    run_id = body.get("run_id") if isinstance(body, dict) else None
    return run_id if isinstance(run_id, str) and _RUN_ID.fullmatch(run_id) else None


def fail_named_run(deps: Dependencies, raw: bytes, error: PermanentError) -> str | None:
    """Fail the run ``raw`` names, if it exists and has not finished, with ``error``'s reason.

    Args:
        deps: Dependencies.
        raw: The undecodable body.
        error: Why it could not be decoded (code ``malformed_message`` or ``malformed_task``).

    Returns:
        The id of the run when it was failed here or by an earlier copy of the same input,
        else None (no run named, no such run, or it had finished already).

    Raises:
        TransientError: The store or the ``run-stopped`` publish failed; the caller retries.
    """
    run_id = named_run_id(raw)
    if run_id is None:
        return None
    try:
        claim = stop_run(
            deps,
            run_id,
            RunStatus.FAILED,
            expected=_NON_TERMINAL,
            code=error.code,
            message=error.message[:1000],
        )
    except NotFoundError:
        return None
    if claim.outcome is ClaimOutcome.SKIPPED:
        return None
    logger.error("run %s failed: it was named by poison input (%s)", run_id, error.code)
    return run_id
