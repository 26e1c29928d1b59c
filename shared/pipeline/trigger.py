"""Starting a run: the first stage of every trigger (API call, webhook, cron, another agent).

Every run names an environment (``prod`` unless its request or trigger says otherwise) and pins
the version that environment runs when the run is created (:mod:`shared.domain.environments`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from shared import resources
from shared.composition import Dependencies
from shared.domain.environments import DEFAULT_ENVIRONMENT, Environment
from shared.domain.runs import Run, RunError, RunStatus, TriggerKind
from shared.errors import ConflictError, TransientError, ValidationError
from shared.pipeline.announce import announce

MAX_INPUT_BYTES = 256 * 1024


def new_id() -> str:
    """A random resource id: 32 lowercase hex digits (never a timestamp or counter)."""
    return uuid.uuid4().hex


def request_run(
    deps: Dependencies,
    org_id: str,
    agent_id: str,
    run_input: dict[str, Any],
    trigger: TriggerKind = TriggerKind.MANUAL,
    *,
    run_id: str | None = None,
    environment: Environment = DEFAULT_ENVIRONMENT,
) -> Run:
    """Create a run of the version ``environment`` runs and publish it on ``run-requested``.

    Args:
        deps: Dependencies.
        org_id: The caller's organisation.
        agent_id: The agent to run.
        run_input: The run's input object; at most ``MAX_INPUT_BYTES`` bytes as JSON.
        trigger: What started the run.
        run_id: An id reserved for this run by an idempotency record (a retry of the same
            request passes the same id); None for a new random id. When a run with this id
            exists already, it is returned instead, and published again while it is still
            ``requested`` (the first attempt may have stopped between storing and publishing).
        environment: The environment whose version the run pins (``prod`` by default); the
            run records it.

    Returns:
        The stored run, in status ``requested`` (or, for an existing ``run_id``, as it is now).

    Raises:
        NotFoundError: No such agent in the organisation.
        ConflictError: Code ``agent_inactive``.
        ValidationError: Code ``input_too_large``.
        TransientError: Code ``trigger_publish_failed``; the run is stored as ``failed``.
    """
    size = len(json.dumps(run_input).encode())
    if size > MAX_INPUT_BYTES:
        raise ValidationError(
            "input_too_large", f"the run input is {size} bytes; the limit is {MAX_INPUT_BYTES}"
        )
    agent = deps.agents.get_agent(org_id, agent_id)
    if not agent.active:
        raise ConflictError("agent_inactive", f"agent {agent_id} is deactivated")
    now = deps.clock()
    new = Run(
        run_id=run_id or new_id(),
        org_id=org_id,
        agent_id=agent_id,
        agent_version=agent.version_in(environment),
        environment=environment,
        trigger=trigger,
        input=run_input,
        created_at=now,
        updated_at=now,
    )
    try:
        run = deps.runs.create_run(new)
    except ConflictError:
        if run_id is None:
            raise
        run = deps.runs.get_run(run_id, org_id)
        if run.status != RunStatus.REQUESTED:
            return run
    try:
        announce(deps, resources.RUN_REQUESTED, run)
    except TransientError as error:
        reason = RunError(code="trigger_publish_failed", message=error.message)
        deps.runs.transition(
            run.run_id, RunStatus.FAILED, expected={RunStatus.REQUESTED}, error=reason
        )
        raise TransientError("trigger_publish_failed", "the run could not be queued") from error
    return run
