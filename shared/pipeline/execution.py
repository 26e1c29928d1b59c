"""Execution: the durable, step-based agent loop (DESIGN.md §1).

One model step per Cloud Task on ``model-steps``; each tool call the model asks for is a Cloud
Task on its tool's queue. Every task reads the run's state from the RunStore and stores its own
outcome before it schedules the next task, with task ids derived from (run, step, call), so a
task delivered twice, or retried after a crash, repeats nothing that already happened:

    run-approved ─► start_execution ─► model step 0 ─┬─► tool call (0, i) … ─► fan-in ─► step 1 …
                                                     └─► final answer ─► generated, run-generated

Policy stops: ``limits.max_steps``, ``limits.timeout_s`` (from ``started_at``), and a tool that
still fails on its queue's last attempt. Each stops the run as ``failed`` with the reason.
"""

from __future__ import annotations

import time
from functools import lru_cache

import httpx

from shared import resources
from shared.composition import Dependencies
from shared.domain.messages import ModelStepTask, ToolCallTask
from shared.domain.runs import Run, RunStatus
from shared.domain.steps import ModelStep, ToolCallResult, ToolCallStatus
from shared.errors import PermanentError, PolicyViolationError, TransientError
from shared.pipeline.conversation import build_request
from shared.pipeline.lifecycle import advance, load_spec, stop_run
from shared.pipeline.trace import write_trace
from shared.ports.run_store import Claim, ClaimOutcome
from shared.tools.base import ToolContext
from shared.tools.egress import parse_networks
from shared.tools.registry import TOOLS, queue_of

MODEL_STEP_PATH = "/tasks/model-step"
TOOL_CALL_PATH = "/tasks/tool-call"


def model_step_task_id(run_id: str, step: int) -> str:
    """Task id of a run's model step (the dedup key of its enqueue)."""
    return f"{run_id}-step-{step}"


def tool_call_task_id(run_id: str, step: int, call_index: int) -> str:
    """Task id and idempotency key of one tool call."""
    return f"{run_id}-step-{step}-call-{call_index}"


@lru_cache(maxsize=1)
def _http_client() -> httpx.Client:
    # One pooled client per process; every tool passes its own timeout.
    return httpx.Client(follow_redirects=False)


def _enqueue_step(deps: Dependencies, run_id: str, step: int) -> None:
    deps.tasks.enqueue(
        resources.MODEL_STEPS_QUEUE.name,
        MODEL_STEP_PATH,
        ModelStepTask(run_id=run_id, step=step),
        task_id=model_step_task_id(run_id, step),
    )


def start_execution(deps: Dependencies, run_id: str) -> Claim:
    """Move an approved run to ``running`` and enqueue its first model step.

    Raises:
        NotFoundError: No such run.
        TransientError: The queue is unavailable; redeliver.
    """
    claim = deps.runs.transition(
        run_id, RunStatus.RUNNING, expected={RunStatus.APPROVED}, started_at=deps.clock()
    )
    if claim.outcome != ClaimOutcome.SKIPPED:
        _enqueue_step(deps, run_id, 0)
    return claim


def _fail(deps: Dependencies, run: Run, code: str, message: str) -> None:
    stop_run(
        deps, run.run_id, RunStatus.FAILED, expected={RunStatus.RUNNING}, code=code, message=message
    )


def _policy_stop(deps: Dependencies, run: Run, step: int) -> bool:
    spec = load_spec(deps, run)
    if step >= spec.limits.max_steps:
        _fail(deps, run, "max_steps_exceeded", f"the run reached max_steps={spec.limits.max_steps}")
        return True
    started = run.started_at or run.created_at
    elapsed = (deps.clock() - started).total_seconds()
    if elapsed > spec.limits.timeout_s:
        _fail(deps, run, "timeout", f"the run exceeded timeout_s={spec.limits.timeout_s:g}")
        return True
    return False


def _call_model(deps: Dependencies, run: Run, step: int) -> ModelStep:
    spec = load_spec(deps, run)
    request = build_request(
        spec, run, deps.runs.list_steps(run.run_id), deps.runs.list_tool_results(run.run_id)
    )
    started = time.monotonic()
    response = deps.model.generate(request)
    latency_s = time.monotonic() - started
    trace_uri = write_trace(
        deps,
        run,
        f"steps/{step:04d}/model",
        {"request": request.model_dump(mode="json"), "response": response.raw},
    )
    return ModelStep(
        step=step,
        text=response.text,
        function_calls=response.function_calls,
        finish_reason=response.finish_reason,
        prompt_tokens=response.prompt_tokens,
        completion_tokens=response.completion_tokens,
        latency_s=latency_s,
        trace_uri=trace_uri,
        completed_at=deps.clock(),
    )


def take_model_step(
    deps: Dependencies, task: ModelStepTask, attempt: int = 1, max_attempts: int = -1
) -> None:
    """Take (or, on a duplicate, resume) one model step of a running run.

    Args:
        deps: Dependencies.
        task: Which run and step.
        attempt: This attempt's number, from 1 (Cloud Tasks retry count + 1).
        max_attempts: The ``model-steps`` queue's ``max_attempts`` (-1: unlimited).

    Raises:
        NotFoundError: No such run.
        TransientError: The model or a store failed and attempts remain; the task is retried.
            On the last attempt the run is failed instead, so it never waits on a dropped task.
        PermanentError: The model refused the request; the run is failed first.
    """
    run = deps.runs.get_run(task.run_id)
    if run.status != RunStatus.RUNNING:
        return
    step = deps.runs.get_step(run.run_id, task.step)
    if step is None:
        if _policy_stop(deps, run, task.step):
            return
        try:
            fresh = _call_model(deps, run, task.step)
        except PermanentError as error:
            _fail(deps, run, error.code, error.message)
            raise
        except TransientError as error:
            if 0 <= max_attempts <= attempt:
                _fail(deps, run, error.code, f"{error.message} (after {attempt} attempts)")
            raise
        step, _ = deps.runs.record_step(run.run_id, fresh)
    if not step.function_calls:
        advance(
            deps,
            run.run_id,
            RunStatus.GENERATED,
            expected={RunStatus.RUNNING},
            topic=resources.RUN_GENERATED,
            output=step.text or "",
        )
        return
    spec = load_spec(deps, run)
    for call in step.function_calls:
        if spec.tool(call.name) is None or call.name not in TOOLS:
            _store_result(deps, run, task.step, call.call_index, call.name, ToolCallStatus.REFUSED,
                          error=f"tool {call.name!r} is not granted to this agent")  # fmt: skip
            continue
        deps.tasks.enqueue(
            queue_of(call.name),
            TOOL_CALL_PATH,
            ToolCallTask(run_id=run.run_id, step=task.step, call_index=call.call_index),
            task_id=tool_call_task_id(run.run_id, task.step, call.call_index),
        )
    _fan_in(deps, run, step)


def _store_result(
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
    result, _ = deps.runs.record_tool_result(
        run.run_id,
        ToolCallResult(
            step=step, call_index=call_index, name=name, status=status, output=output or {},
            error=error, latency_s=latency_s, attempts=attempts, trace_uri=trace_uri,
            completed_at=deps.clock(),
        ),
    )  # fmt: skip
    return result


def _fan_in(deps: Dependencies, run: Run, step: ModelStep) -> None:
    # Whoever sees the step's last result enqueues the next step; the task id dedups the rest.
    results = deps.runs.list_tool_results(run.run_id, step=step.step)
    if len(results) == len(step.function_calls):
        _enqueue_step(deps, run.run_id, step.step + 1)


def make_tool_call(deps: Dependencies, task: ToolCallTask, attempt: int, max_attempts: int) -> None:
    """Make one tool call and store its result; on a step's last result, enqueue the next step.

    Args:
        deps: Dependencies.
        task: Which call.
        attempt: This attempt's number, from 1 (Cloud Tasks retry count + 1).
        max_attempts: The tool queue's ``max_attempts`` (-1: unlimited).

    Raises:
        NotFoundError: No such run or step.
        TransientError: The target failed and attempts remain; the task is retried.
    """
    run = deps.runs.get_run(task.run_id)
    if run.status != RunStatus.RUNNING:
        return
    step = deps.runs.get_step(run.run_id, task.step)
    if step is None or task.call_index >= len(step.function_calls):
        raise PermanentError(
            "tool_call_not_found", f"no call {task.call_index} in step {task.step}"
        )
    stored = {r.call_index for r in deps.runs.list_tool_results(run.run_id, step=task.step)}
    if task.call_index not in stored:
        _run_tool(deps, run, step, task.call_index, attempt, max_attempts)
    _fan_in(deps, run, step)


def _run_tool(
    deps: Dependencies, run: Run, step: ModelStep, call_index: int, attempt: int, max_attempts: int
) -> None:
    call = step.function_calls[call_index]
    spec = load_spec(deps, run)
    tool_spec = spec.tool(call.name)
    assert tool_spec is not None  # take_model_step only enqueues granted tools
    context = ToolContext(
        config=tool_spec.parsed_config(),
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
    _store_result(deps, run, step.step, call_index, call.name, status, output=output, error=error,
                  latency_s=latency_s, attempts=attempt, trace_uri=trace_uri)  # fmt: skip
    if status == ToolCallStatus.FAILED and attempt >= max_attempts >= 0:
        _fail(deps, run, "tool_failed", f"tool {call.name} failed: {error}")
