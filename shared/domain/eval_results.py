"""Stored eval verdicts: one record per (run, gate, eval), kept with the run.

The verdict of :func:`shared.evals.gate.evaluate` plus what locates it (run, agent, gate, time),
so a run's verdicts are read back by run and an agent's pass rates by agent and time.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.domain.base import Model
from shared.domain.runs import Run
from shared.domain.spec import FailureAction
from shared.evals.gate import EvalResult
from shared.evals.results import AssertionResult


def eval_record_id(run_id: str, stage: str, name: str) -> str:
    """Document id of a verdict: SHA-256 hex of run, gate and eval name.

    Deterministic, so a redelivered gate overwrites its own verdicts instead of adding copies.
    """
    return hashlib.sha256(f"{run_id}\n{stage}\n{name}".encode()).hexdigest()


class EvalRecord(Model):
    """One eval's verdict on one run, as stored.

    Attributes:
        record_id: :func:`eval_record_id` of run, stage and name.
        run_id: The run.
        org_id: Its organisation.
        agent_id: Its agent.
        agent_version: The version the run pinned.
        stage: ``pre_flight``, ``post_generation`` or ``continuous``.
        name: The eval's name.
        passed: Whether it passed.
        score: Weighted score, 0 to 1.
        reason: Why, for people.
        severity: Severity on failure, from the spec.
        action: Action on failure, from the spec.
        named_scores: Weighted mean score per ``metric`` name.
        assertions: Per-assertion detail, the grader's requests and replies included.
        created_at: When the gate decided (UTC).
    """

    schema_version: Literal[1] = 1
    record_id: str
    run_id: str
    org_id: str
    agent_id: str
    agent_version: int
    stage: str
    name: str
    passed: bool
    score: float
    reason: str = ""
    severity: str
    action: FailureAction
    named_scores: dict[str, float] = Field(default_factory=dict)
    assertions: tuple[AssertionResult, ...] = ()
    created_at: datetime

    @classmethod
    def of(cls, run: Run, result: EvalResult, at: datetime) -> EvalRecord:
        """The record of ``result``, an eval of ``run`` decided at ``at``."""
        return cls(
            record_id=eval_record_id(run.run_id, result.stage, result.name),
            run_id=run.run_id,
            org_id=run.org_id,
            agent_id=run.agent_id,
            agent_version=run.agent_version,
            created_at=at,
            **result.model_dump(),
        )
