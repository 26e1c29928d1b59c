"""Wait for a run to end: the use case behind ``GET /v1/runs/{id}?wait=<seconds>``.

The run store is polled (Firestore has listeners, but a request thread that polls a single
document every half second costs one read per poll and needs no extra connection); the caller
gets the run as it is when it ends or when the wait passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from shared.domain.runs import Run
from shared.ports.run_store import RunStore


def wait_for_end(
    runs: RunStore,
    run_id: str,
    org_id: str,
    wait_s: float,
    poll_interval_s: float,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Run:
    """The run once it is terminal, or as it is after ``wait_s`` seconds.

    Args:
        runs: The run store.
        run_id: The run.
        org_id: The caller's organisation.
        wait_s: Longest wait, in seconds (0: read once).
        poll_interval_s: Seconds between reads.
        monotonic: Clock, for tests.
        sleep: Sleep, for tests.

    Raises:
        NotFoundError: No such run in the organisation.
    """
    run = runs.get_run(run_id, org_id)
    deadline = monotonic() + wait_s
    while not run.status.terminal and (remaining := deadline - monotonic()) > 0:
        sleep(min(poll_interval_s, remaining))
        run = runs.get_run(run_id, org_id)
    return run
