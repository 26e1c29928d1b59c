"""An agent's eval pass rates over a time window, from its stored verdicts.

Aggregated at read time from one query over ``eval_results`` (by agent and time): no counter
document that every run would write, so a busy agent has no hot document. A window holds at most
:data:`MAX_RECORDS` verdicts; past that the stats cover the newest ones and say so
(``truncated``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.composition import Dependencies
from shared.domain.eval_results import EvalRecord
from shared.errors import ValidationError

WINDOWS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
# Buckets per window, so a window also shows its trend.
_BUCKETS = 12
MAX_RECORDS = 10_000


def _rate(records: list[EvalRecord]) -> dict[str, Any]:
    passed = sum(r.passed for r in records)
    return {
        "total": len(records),
        "passed": passed,
        "pass_rate": passed / len(records) if records else None,
    }


def eval_stats(deps: Dependencies, org_id: str, agent_id: str, window: str) -> dict[str, Any]:
    """Pass rates per eval of an agent over the last ``window``, overall and in 12 buckets.

    Args:
        deps: Dependencies.
        org_id: The caller's organisation.
        agent_id: The agent (of that organisation).
        window: ``1h``, ``24h`` or ``7d``.

    Returns:
        ``{"agent_id", "window", "since", "until", "truncated", "evals": [{"name", "stage",
        "total", "passed", "pass_rate", "mean_score", "buckets": [{"start", "total", "passed",
        "pass_rate"}, ...]}, ...]}``, evals by stage then name; ``pass_rate`` is None for an
        empty bucket.

    Raises:
        ValidationError: Code ``invalid_window``.
        NotFoundError: No such agent in the organisation.
        TransientError: The store is unavailable.
    """
    if window not in WINDOWS:
        raise ValidationError(
            "invalid_window", f"window must be one of {', '.join(WINDOWS)}, not {window!r}"
        )
    deps.agents.get_agent(org_id, agent_id)
    until = deps.clock()
    since = until - WINDOWS[window]
    records = deps.eval_results.list_agent_results(org_id, agent_id, since, MAX_RECORDS)
    step = WINDOWS[window] / _BUCKETS
    by_eval: dict[tuple[str, str], list[EvalRecord]] = {}
    for record in records:
        by_eval.setdefault((record.stage, record.name), []).append(record)
    evals = []
    for (stage, name), found in sorted(by_eval.items()):
        buckets: list[list[EvalRecord]] = [[] for _ in range(_BUCKETS)]
        for record in found:
            buckets[min(int((record.created_at - since) / step), _BUCKETS - 1)].append(record)
        evals.append(
            {
                "name": name,
                "stage": stage,
                **_rate(found),
                "mean_score": sum(r.score for r in found) / len(found),
                "buckets": [
                    {"start": _iso(since + step * index), **_rate(bucket)}
                    for index, bucket in enumerate(buckets)
                ],
            }
        )
    return {
        "agent_id": agent_id,
        "window": window,
        "since": _iso(since),
        "until": _iso(until),
        "truncated": len(records) >= MAX_RECORDS,
        "evals": evals,
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
