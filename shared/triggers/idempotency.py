"""One effect per key: the rule manual runs, webhook deliveries and chained events share.

:func:`run_once` follows the IETF draft "The Idempotency-Key HTTP Header Field"
(draft-ietf-httpapi-idempotency-key-header): the first request with a key does the work and
its response is stored; a retry with the same key and the same request gets that response
again; the same key with another request is refused (422); a retry while the first is still
being processed is refused (409). Records are scoped (to an organisation, a trigger, an agent)
and expire (:attr:`ReceiptKind.retention`).

The first request reserves a run id in the record before the run exists, and the effect creates
the run under that id. A caller that dies half-way leaves the record in flight; once its lease
(``LEASE``) is over, a retry takes it over and creates, or finds, the same run. A failed effect
releases the key, so the caller may try again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared.composition import Dependencies
from shared.domain.environments import DEFAULT_ENVIRONMENT, Environment
from shared.domain.triggers import IdempotencyRecord, ReceiptKind, RecordState
from shared.errors import ConflictError, SwitchyardError, ValidationError
from shared.pipeline.trigger import new_id, request_run

LEASE = timedelta(seconds=60)

Effect = Callable[[str], tuple[int, dict[str, Any]]]
"""Does the work under the reserved run id; returns the response ``(status, body)``."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """The response of an idempotent request.

    Attributes:
        status: HTTP status of the (first) response.
        body: Its JSON body.
        replayed: True when the response was stored by an earlier request.
    """

    status: int
    body: dict[str, Any]
    replayed: bool


def fingerprint(request: Any) -> str:
    """SHA-256 hex of ``request`` as canonical JSON (sorted keys, no spaces).

    Two requests that parse to the same JSON have the same fingerprint, whatever their
    whitespace or key order.
    """
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(
    deps: Dependencies,
    kind: ReceiptKind,
    scope: str,
    key: str,
    request_fingerprint: str,
    effect: Effect,
) -> Outcome:
    """Do ``effect`` once per ``(kind, scope, key)``; replay its response to duplicates.

    Args:
        deps: Dependencies.
        kind: What is deduplicated (and so for how long).
        scope: Whose key: an organisation, a trigger, an agent.
        key: The key.
        request_fingerprint: :func:`fingerprint` of the request.
        effect: The work, given the reserved run id.

    Returns:
        The first response, replayed or new.

    Raises:
        ValidationError: Code ``idempotency_key_reused`` (HTTP 422): the key was used for
            another request.
        ConflictError: Code ``idempotency_key_in_flight`` (HTTP 409): the first request with
            the key is still being processed; retry later.
        SwitchyardError: Whatever ``effect`` raised (the key is released first).
        TransientError: The store is unavailable.
    """
    now = deps.clock()
    record = IdempotencyRecord(
        kind=kind,
        scope=scope,
        key=key,
        fingerprint=request_fingerprint,
        run_id=new_id(),
        created_at=now,
        locked_until=now + LEASE,
        expires_at=now + kind.retention,
    )
    stored, claimed = deps.idempotency.begin(record, now)
    if not claimed:
        return _replay(stored, request_fingerprint)
    try:
        status, body = effect(stored.run_id)
    except Exception:
        _release(deps, stored)
        raise
    deps.idempotency.complete(kind, scope, key, status, body)
    return Outcome(status, body, replayed=False)


def _replay(stored: IdempotencyRecord, request_fingerprint: str) -> Outcome:
    if stored.fingerprint != request_fingerprint:
        raise ValidationError(
            "idempotency_key_reused",
            "this idempotency key was used for a different request",
            errors=[{"field": "Idempotency-Key", "message": "used for a different request"}],
        )
    if stored.state == RecordState.IN_FLIGHT or stored.response_status is None:
        raise ConflictError(
            "idempotency_key_in_flight",
            "a request with this idempotency key is still being processed; retry later",
        )
    return Outcome(stored.response_status, dict(stored.response or {}), replayed=True)


def _release(deps: Dependencies, record: IdempotencyRecord) -> None:
    try:
        deps.idempotency.release(record.kind, record.scope, record.key, record.run_id)
    except SwitchyardError as error:  # the lease ends the claim anyway; keep the first error
        logger.warning("could not release idempotency record: %s (%s)", error.message, error.code)


def request_run_once(
    deps: Dependencies,
    org_id: str,
    agent_id: str,
    run_input: dict[str, Any],
    key: str,
    environment: Environment = DEFAULT_ENVIRONMENT,
) -> Outcome:
    """``POST /v1/agents/{id}/runs`` with an ``Idempotency-Key``: one run per key.

    The key is the organisation's (two organisations may use the same key); the fingerprint
    covers the agent, the input and the environment, so the same key for another agent, input
    or environment is refused.

    Args:
        deps: Dependencies.
        org_id: The caller's organisation.
        agent_id: The agent to run.
        run_input: The run's input.
        key: The client's key.
        environment: The environment whose version the run pins.

    Returns:
        202 with the run as first stored, new or replayed.

    Raises:
        ValidationError: Code ``idempotency_key_reused`` (422), or the run's own input errors.
        ConflictError: Code ``idempotency_key_in_flight`` (409), or ``agent_inactive``.
        NotFoundError: No such agent.
        TransientError: A store or the broker is unavailable.
    """

    def start(run_id: str) -> tuple[int, dict[str, Any]]:
        run = request_run(deps, org_id, agent_id, run_input, run_id=run_id, environment=environment)
        return 202, run.model_dump(mode="json")

    request = {"agent_id": agent_id, "input": run_input, "environment": environment}
    return run_once(deps, ReceiptKind.IDEMPOTENCY_KEY, org_id, key, fingerprint(request), start)
