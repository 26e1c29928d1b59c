"""Delivery: the passed output leaves Switchyard (DESIGN.md §1).

The output is written to Cloud Storage as an artifact, then each webhook target gets a Cloud
Task on ``webhook-deliveries`` (the queue's retry config retries failures). Each target's outcome
is stored on its own; whoever stores the last one finishes the run: ``delivered`` when every
target accepted it, ``delivery_failed`` (and the owner alerted) otherwise, then ``run-finished``.
Whoever moves it to ``delivered`` then runs its sampled ``continuous`` evals
(:mod:`shared.pipeline.continuous`).
Of two copies of a delivery task running at once, only the lease holder POSTs
(:mod:`shared.pipeline.leases`).
"""

from __future__ import annotations

import json

from shared import resources
from shared.composition import Dependencies
from shared.domain.deliveries import DeliveryResult
from shared.domain.messages import WebhookDeliveryTask
from shared.domain.runs import Run, RunError, RunStatus
from shared.domain.spec import AgentSpec
from shared.errors import NotFoundError, PolicyViolationError, TransientError
from shared.pipeline import leases
from shared.pipeline.announce import announce
from shared.pipeline.continuous import evaluate_delivered
from shared.pipeline.lifecycle import advance, load_spec
from shared.pipeline.webhooks import TIMEOUT_S as WEBHOOK_TIMEOUT_S
from shared.pipeline.webhooks import send_signed
from shared.ports.run_store import Claim, ClaimOutcome

WEBHOOK_DELIVERY_PATH = "/tasks/webhook-delivery"
_EXPECTED = {RunStatus.PASSED}


def delivery_id(run_id: str, target_index: int) -> str:
    """Task id and ``webhook-id`` of one delivery: the receivers' idempotency key."""
    return f"{run_id}-delivery-{target_index}"


def artifact_name(run: Run) -> str:
    """Object name of a run's output artifact: ``<org_id>/<agent_id>/<run_id>/output.json``."""
    return f"{run.org_id}/{run.agent_id}/{run.run_id}/output.json"


def artifact_uri(deps: Dependencies, run: Run) -> str:
    """The ``gs://`` URI of a run's output artifact."""
    bucket = resources.bucket_name(deps.settings.project_id, resources.ARTIFACTS_BUCKET_SUFFIX)
    return f"gs://{bucket}/{artifact_name(run)}"


def _write_artifact(deps: Dependencies, run: Run, spec: AgentSpec) -> str:
    body = {
        "run_id": run.run_id,
        "agent": {"id": run.agent_id, "name": spec.name, "version": run.agent_version},
        "input": run.input,
        "output": run.output,
        "usage": run.usage.model_dump(),
    }
    data = json.dumps(body, ensure_ascii=False).encode()
    name = artifact_name(run)
    return deps.blobs.put(resources.ARTIFACTS_BUCKET_SUFFIX, name, data, "application/json")


def handle_run_passed(deps: Dependencies, run_id: str) -> Claim | None:
    """Store the artifact and enqueue one delivery task per webhook target.

    Returns:
        The claim when the run finished here (no webhook targets), else None.

    Raises:
        NotFoundError: No such run.
        TransientError: Storage or the queue failed; redeliver.
    """
    run = deps.runs.get_run(run_id)
    if run.status != RunStatus.PASSED:
        return None
    spec = load_spec(deps, run)
    uri = _write_artifact(deps, run, spec)
    if not spec.delivery:
        claim = advance(deps, run_id, RunStatus.DELIVERED, expected=_EXPECTED,
                        topic=resources.RUN_FINISHED, artifact_uri=uri)  # fmt: skip
        if claim.outcome != ClaimOutcome.SKIPPED:
            evaluate_delivered(deps, claim.run, spec)
        return claim
    for index in range(len(spec.delivery)):
        deps.tasks.enqueue(
            resources.WEBHOOK_DELIVERIES_QUEUE.name,
            WEBHOOK_DELIVERY_PATH,
            WebhookDeliveryTask(run_id=run_id, target_index=index),
            task_id=delivery_id(run_id, index),
        )
    return None


def deliver_webhook(
    deps: Dependencies, task: WebhookDeliveryTask, attempt: int, max_attempts: int
) -> None:
    """POST the output to one target; on the last outcome, finish the run.

    Args:
        deps: Dependencies.
        task: Which run and target.
        attempt: This attempt's number, from 1.
        max_attempts: The queue's ``max_attempts`` (-1: unlimited).

    Raises:
        NotFoundError: No such run.
        TransientError: The target failed and attempts remain; the task is retried. Code
            ``work_in_progress``: another copy of the task is delivering.
    """
    run = deps.runs.get_run(task.run_id)
    if run.status != RunStatus.PASSED:
        return
    spec = load_spec(deps, run)
    if task.target_index >= len(spec.delivery):
        raise NotFoundError("delivery_target_not_found", f"no delivery target {task.target_index}")
    if not _is_delivered(deps, run, task.target_index):
        _deliver_once(deps, run, spec, task.target_index, attempt, max_attempts)
    _finish_if_complete(deps, run, spec)


def _is_delivered(deps: Dependencies, run: Run, index: int) -> bool:
    return any(d.target_index == index for d in deps.runs.list_deliveries(run.run_id))


def _deliver_once(
    deps: Dependencies, run: Run, spec: AgentSpec, index: int, attempt: int, max_attempts: int
) -> None:
    # Under the delivery's lease, so two copies of the task running at once POST once.
    last = leases.is_last_attempt(attempt, max_attempts)
    key = leases.delivery_key(index)
    with leases.leased(deps, run.run_id, key, WEBHOOK_TIMEOUT_S, last_attempt=last):
        if not _is_delivered(deps, run, index):  # else the previous holder delivered it
            _deliver(deps, run, spec, index, attempt, max_attempts)


def _deliver(
    deps: Dependencies, run: Run, spec: AgentSpec, index: int, attempt: int, max_attempts: int
) -> None:
    url = str(spec.delivery[index].url)
    webhook_id = delivery_id(run.run_id, index)
    payload = {
        "type": "run.output",
        "run_id": run.run_id,
        "agent": {"id": run.agent_id, "name": spec.name, "version": run.agent_version},
        "output": run.output,
        "artifact_uri": artifact_uri(deps, run),
    }
    status_code: int | None = None
    try:
        status_code = send_signed(deps, run.org_id, url, webhook_id, payload, deps.clock())
        error = None if 200 <= status_code < 300 else f"the target answered {status_code}"
    except PolicyViolationError as refused:
        error, attempt = refused.message, max(attempt, max_attempts)  # retrying cannot help
    except TransientError as failed:
        error = failed.message
    last_attempt = max_attempts >= 0 and attempt >= max_attempts
    if error and not last_attempt:
        raise TransientError("webhook_delivery_failed", error)
    deps.runs.record_delivery(
        run.run_id,
        DeliveryResult(
            target_index=index, url=url, succeeded=error is None, status_code=status_code,
            error=error, attempts=attempt, webhook_id=webhook_id, completed_at=deps.clock(),
        ),
    )  # fmt: skip


def _finish_if_complete(deps: Dependencies, run: Run, spec: AgentSpec) -> None:
    deliveries = deps.runs.list_deliveries(run.run_id)
    if len(deliveries) < len(spec.delivery):
        return
    uri = artifact_uri(deps, run)
    failures = [f"{d.url}: {d.error}" for d in deliveries if not d.succeeded]
    if not failures:
        claim = advance(deps, run.run_id, RunStatus.DELIVERED, expected=_EXPECTED,
                        topic=resources.RUN_FINISHED, artifact_uri=uri)  # fmt: skip
        if claim.outcome != ClaimOutcome.SKIPPED:
            evaluate_delivered(deps, claim.run, spec)
        return
    reason = RunError(code="delivery_failed", message="; ".join(failures))
    claim = advance(deps, run.run_id, RunStatus.DELIVERY_FAILED, expected=_EXPECTED,
                    topic=resources.RUN_FINISHED, artifact_uri=uri, error=reason)  # fmt: skip
    if claim.outcome != ClaimOutcome.SKIPPED:
        announce(deps, resources.RUN_STOPPED, claim.run)
