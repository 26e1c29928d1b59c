"""Alerting: tell an agent's owner why a run stopped (rejected, blocked, failed, undelivered).

The alert goes to the spec's ``alerts.webhook_url`` as a signed webhook (``webhook-id`` =
``<run_id>-alert``, so a redelivered event does not alert twice at a receiver that dedupes), and
always to the log as a structured WARNING entry.
"""

from __future__ import annotations

import logging

from shared.composition import Dependencies
from shared.domain.runs import RunStatus
from shared.errors import NotFoundError, TransientError
from shared.pipeline.lifecycle import load_spec
from shared.pipeline.webhooks import send_signed

logger = logging.getLogger(__name__)

STOPPED = frozenset(
    {RunStatus.REJECTED, RunStatus.BLOCKED, RunStatus.FAILED, RunStatus.DELIVERY_FAILED}
)


def handle_run_stopped(deps: Dependencies, run_id: str) -> bool:
    """Alert the owner of a stopped run.

    Returns:
        True when an alert webhook was accepted, False when only the log got it.

    Raises:
        NotFoundError: No such run.
        TransientError: The alert target failed; redeliver (Pub/Sub retries, then dead-letters).
    """
    run = deps.runs.get_run(run_id)
    if run.status not in STOPPED:
        return False
    alert = {
        "type": "run.stopped",
        "run_id": run.run_id,
        "agent_id": run.agent_id,
        "agent_version": run.agent_version,
        "status": run.status.value,
        "reason": run.error.model_dump() if run.error else None,
    }
    logger.warning("run %s stopped: %s", run.run_id, run.status.value, extra={"json_fields": alert})
    try:
        target = load_spec(deps, run).alerts.webhook_url
    except NotFoundError:
        return False
    if target is None:
        return False
    status = send_signed(deps, run.org_id, str(target), f"{run.run_id}-alert", alert, deps.clock())
    if not 200 <= status < 300:
        raise TransientError("alert_delivery_failed", f"the alert target answered {status}")
    return True
