"""Publishing that a run moved: the one way a stage hands a run to the next."""

from __future__ import annotations

from shared.composition import Dependencies
from shared.domain.messages import RunMessage, event_type
from shared.domain.runs import Run


def announce(deps: Dependencies, topic: str, run: Run) -> None:
    """Publish ``run``'s id on ``topic`` with the standard attributes.

    Attributes sent: ``event_type`` (``switchyard.run.<fact>.v1``), ``org_id``, ``agent_id``.

    Raises:
        TransientError: The broker did not accept the message; the caller's transport retries.
    """
    deps.publisher.publish(
        topic,
        RunMessage(run_id=run.run_id),
        {"event_type": event_type(topic), "org_id": run.org_id, "agent_id": run.agent_id},
    )
