"""One tool call of a model step: run the tool, trace it, store its result.

:mod:`shared.pipeline.execution` decides when a call runs (once, under its lease) and what its
result means for the run; this module runs it and maps the tool's errors to a result: refused
by policy, failed for good, or (on the queue's last attempt) failed after transient errors.
"""

from __future__ import annotations

import time

from shared.composition import Dependencies
from shared.domain.base import Model
from shared.domain.credentials import AuditEntry
from shared.domain.runs import Run
from shared.domain.steps import ModelStep, ToolCallResult, ToolCallStatus
from shared.errors import (
    PermanentError,
    PolicyViolationError,
    RateLimitedError,
    TransientError,
)
from shared.pipeline.lifecycle import load_spec
from shared.pipeline.trace import write_trace
from shared.proxy.gateway import ProxyCall
from shared.tools.base import ToolContext
from shared.tools.egress import parse_networks
from shared.tools.registry import tool_of
from shared.tools.safe_http import pooled_client


def tool_call_task_id(run_id: str, step: int, call_index: int) -> str:
    """Task id and idempotency key of one tool call."""
    return f"{run_id}-step-{step}-call-{call_index}"


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
        TransientError: The target failed and attempts remain; nothing is stored. A
            RateLimitedError stays one, with the tool's ``retry_after_s``, so the task's
            answer carries ``Retry-After`` (``shared/transport/cloud_tasks.py``).
    """
    call = step.function_calls[call_index]
    key = tool_call_task_id(run.run_id, step.step, call_index)
    proxy = ProxyCall(
        deps=deps,
        run=run,
        http=pooled_client(parse_networks(deps.settings.egress_allowed_networks)),
        idempotency_key=key,
    )
    context = ToolContext(
        config=config,
        proxy=proxy,
        idempotency_key=key,
        settings=deps.settings,
        permissions=load_spec(deps, run).permissions,
    )
    started = time.monotonic()
    status, output, error, code = ToolCallStatus.SUCCEEDED, None, None, None
    try:
        output = proxy.redactor.value(tool_of(call.name).run(context, call.args))
    except PolicyViolationError as refused:
        status, error, code = ToolCallStatus.REFUSED, refused.message, refused.code
    except PermanentError as failed:
        status, error, code = ToolCallStatus.FAILED, failed.message, failed.code
    except TransientError as failed:
        if max_attempts < 0 or attempt < max_attempts:
            audit_call(deps, run, step.step, call_index, call.name, proxy, "retrying",
                       failed.code, time.monotonic() - started, attempt)  # fmt: skip
            message = proxy.redactor.text(failed.message)
            if isinstance(failed, RateLimitedError):  # the target's Retry-After reaches the queue
                raise RateLimitedError(failed.code, message, failed.retry_after_s) from None
            raise TransientError(failed.code, message) from None
        status, error = ToolCallStatus.FAILED, f"{failed.message} (after {attempt} attempts)"
        code = failed.code
    latency_s = time.monotonic() - started
    error = proxy.redactor.text(error) if error is not None else None
    audit_call(deps, run, step.step, call_index, call.name, proxy, status.value, code, latency_s,
               attempt)  # fmt: skip
    body = {"tool": call.name, "input": proxy.redactor.value(call.args), "status": status.value}
    trace_uri = write_trace(
        deps,
        run,
        f"steps/{step.step:04d}/tool-{call_index:02d}",
        {**body, "output": output, "error": error, "targets": proxy.targets},
    )
    return store_result(deps, run, step.step, call_index, call.name, status, output=output,
                        error=error, latency_s=latency_s, attempts=attempt,
                        trace_uri=trace_uri)  # fmt: skip


def refuse_call(
    deps: Dependencies, run: Run, step: ModelStep, call_index: int, reason: str
) -> ToolCallResult:
    """Refuse a call of a tool the agent was not given: audit it, trace it, store it.

    Args:
        deps: Dependencies.
        run: The run.
        step: The step that asked for the call.
        call_index: Which of its calls.
        reason: Why, for the model, the trace and the audit log.

    Returns:
        The stored REFUSED result.
    """
    call = step.function_calls[call_index]
    proxy = ProxyCall(deps=deps, run=run, http=pooled_client(()), idempotency_key="")
    audit_call(deps, run, step.step, call_index, call.name, proxy, "refused", "tool_not_granted",
               0.0, 1)  # fmt: skip
    trace_uri = write_trace(
        deps,
        run,
        f"steps/{step.step:04d}/tool-{call_index:02d}",
        {"tool": call.name, "input": call.args, "status": "refused", "error": reason},
    )
    return store_result(deps, run, step.step, call_index, call.name, ToolCallStatus.REFUSED,
                        error=reason, trace_uri=trace_uri)  # fmt: skip


def audit_call(
    deps: Dependencies,
    run: Run,
    step: int,
    call_index: int,
    tool: str,
    proxy: ProxyCall,
    result: str,
    error_code: str | None,
    duration_s: float,
    attempt: int,
) -> None:
    """Append the call's audit entry (one per attempt; its id makes a duplicate task's copy one)."""
    deps.audit.record(
        AuditEntry(
            audit_id=f"{tool_call_task_id(run.run_id, step, call_index)}-attempt-{attempt}",
            org_id=run.org_id, agent_id=run.agent_id, run_id=run.run_id, step=step,
            call_index=call_index, tool=tool, targets=tuple(proxy.targets),
            credential_id=proxy.credential_id, result=result, error_code=error_code,
            duration_s=round(duration_s, 6), created_at=deps.clock(),
        )
    )  # fmt: skip
