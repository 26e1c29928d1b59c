"""EvalResultStore: each eval's verdict on each run, for the run's page and the agent's stats."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime

from shared.domain.eval_results import EvalRecord


class EvalResultStore(abc.ABC):
    """Verdicts keyed by ``record_id`` (run, gate and eval name)."""

    @abc.abstractmethod
    def record_results(self, records: Sequence[EvalRecord]) -> None:
        """Store ``records``, replacing any with the same ``record_id`` (a redelivered gate).

        Raises:
            TransientError: The store is unavailable.
        """

    @abc.abstractmethod
    def list_run_results(self, run_id: str) -> list[EvalRecord]:
        """The verdicts of one run, oldest first (a gate's verdicts in name order).

        Raises:
            TransientError: The store is unavailable.
        """

    @abc.abstractmethod
    def list_agent_results(
        self, org_id: str, agent_id: str, since: datetime, limit: int = 10_000
    ) -> list[EvalRecord]:
        """The verdicts on an agent's runs decided at or after ``since``, newest first.

        Args:
            org_id: The agent's organisation.
            agent_id: The agent.
            since: Earliest ``created_at`` (UTC).
            limit: At most this many records.

        Raises:
            TransientError: The store is unavailable.
        """
