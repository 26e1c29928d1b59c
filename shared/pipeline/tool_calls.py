"""One tool call of a model step: run the tool, trace it, store its result.

:mod:`shared.pipeline.execution` decides when a call runs (once, under its lease) and what its
result means for the run; this module runs it and maps the tool's errors to a result: refused
by policy, failed for good, or (on the queue's last attempt) failed after transient errors.
"""

from __future__ import annotations

import time
from functools import lru_cache

import httpx

from shared.composition import Dependencies
from shared.domain.base import Model
from shared.domain.runs import Run
from shared.domain.steps import ModelStep, ToolCallResult, ToolCallStatus
from shared.errors import PermanentError, PolicyViolationError, TransientError
from shared.pipeline.trace import write_trace
from shared.tools.base import ToolContext
from shared.tools.egress import parse_networks
from shared.tools.registry import TOOLS


def tool_call_task_id(run_id: str, step: int, call_index: int) -> str:
    """Task id and idempotency key of one tool call."""
    return f"{run_id}-step-{step}-call-{call_index}"


@lru_cache(maxsize=1)
def _http_client() -> httpx.Client:
    # One pooled client per process; every tool passes its own timeout.
    return httpx.Client(follow_redirects=False)


def store_result(
    deps: Dependencies,
    run: Run,
    step: int,
    call_index: int,
    name: str,
    status: ToolCallStatus,
    *,
    output: dict[str, object] | None = None,
    error: str | None = None,
    latency_s: float = 0.0,
    attempts: int = 1,
    trace_uri: str | None = None,
) -> ToolCallResult:
    """Store a call's result unless one is stored; returns the stored one."""
    result, _ = deps.runs.record_tool_result(
        run.run_id,
        ToolCallResult(
            step=step, call_index=call_index, name=name, status=status, output=output or {},
            error=error, latency_s=latency_s, attempts=attempts, trace_uri=trace_uri,
            completed_at=deps.clock(),
        ),
    )  # fmt: skip
    return result


def run_tool(
    deps: Dependencies,
    run: Run,
    step: ModelStep,
    call_index: int,
    config: Model,
    attempt: int,
    max_attempts: int,
) -> ToolCallResult:
    """Run one call of ``step`` with the tool's ``config``, trace it and store its result.

    Args:
        deps: Dependencies.
        run: The run.
        step: The stored step that asked for the call.
        call_index: Which of its calls.
        config: The tool's validated configuration from the agent spec.
        attempt: This attempt's number, from 1.
        max_attempts: The tool queue's ``max_attempts`` (-1: unlimited).

    Returns:
        The stored result (FAILED on the last attempt after transient errors).

    Raises:
        TransientError: The target failed and attempts remain; nothing is stored.
    """
    call = step.function_calls[call_index]
    context = ToolContext(
        config=config,
        http=_http_client(),
        idempotency_key=tool_call_task_id(run.run_id, step.step, call_index),
        allowed_networks=parse_networks(deps.settings.egress_allowed_networks),
    )
    started = time.monotonic()
    status, output, error = ToolCallStatus.SUCCEEDED, None, None
    try:
        output = TOOLS[call.name].run(context, call.args)
    except PolicyViolationError as refused:
        status, error = ToolCallStatus.REFUSED, refused.message
    except PermanentError as failed:
        status, error = ToolCallStatus.FAILED, failed.message
    except TransientError as failed:
        if max_attempts < 0 or attempt < max_attempts:
            raise
        status, error = ToolCallStatus.FAILED, f"{failed.message} (after {attempt} attempts)"
    latency_s = time.monotonic() - started
    body = {"tool": call.name, "input": call.args, "status": status.value}
    trace_uri = write_trace(
        deps,
        run,
        f"steps/{step.step:04d}/tool-{call_index:02d}",
        {**body, "output": output, "error": error},
    )
    return store_result(deps, run, step.step, call_index, call.name, status, output=output,
                        error=error, latency_s=latency_s, attempts=attempt,
                        trace_uri=trace_uri)  # fmt: skip
