"""Execution: the durable, step-based agent loop (DESIGN.md §1).

One model step per Cloud Task on ``model-steps``; each tool call the model asks for is a Cloud
Task on its tool's queue. Every task reads the run's state from the RunStore and stores its own
outcome before it schedules the next task, with task ids derived from (run, step, call), so a
task delivered twice, or retried after a crash, repeats nothing that already happened, and of
two copies of a task running at once only the lease holder acts (:mod:`shared.pipeline.leases`):

    run-approved ─► start_execution ─► model step 0 ─┬─► tool call (0, i) … ─► fan-in ─► step 1 …
                                                     └─► final answer ─► generated, run-generated

Policy stops: ``limits.max_steps``, ``limits.timeout_s`` (from ``started_at``),
``limits.max_cost_usd`` (the steps taken so far, priced by :mod:`shared.pipeline.budget`), and a
tool that still fails on its queue's last attempt. Each stops the run as ``failed`` with the reason.
"""

from __future__ import annotations

import time

from shared import resources
from shared.composition import Dependencies
from shared.domain.messages import ModelStepTask, ToolCallTask
from shared.domain.runs import Run, RunStatus
from shared.domain.steps import ModelStep, ToolCallStatus
from shared.errors import PermanentError, TransientError
from shared.pipeline import leases
from shared.pipeline.budget import run_cost_usd
from shared.pipeline.conversation import build_request, model_timeout_s
from shared.pipeline.lifecycle import advance, load_spec, stop_run
from shared.pipeline.tool_calls import refuse_call, run_tool, tool_call_task_id
from shared.pipeline.trace import write_trace
from shared.ports.run_store import Claim, ClaimOutcome
from shared.tools.registry import is_granted, queue_of, tool_config

MODEL_STEP_PATH = "/tasks/model-step"
TOOL_CALL_PATH = "/tasks/tool-call"


def model_step_task_id(run_id: str, step: int) -> str:
    """Task id of a run's model step (the dedup key of its enqueue)."""
    return f"{run_id}-step-{step}"


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


# A refused call goes back to the model as an error, so an honest model can correct a slip;
# a model that keeps trying what it was not granted (a hijacked one) fails the run.
MAX_REFUSED_CALLS = 3


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
    cap = spec.limits.max_cost_usd
    spent = run_cost_usd(deps, run, spec) if cap is not None else None
    if cap is not None and spent is not None and spent >= cap:
        _fail(deps, run, "max_cost_exceeded",
              f"the run's steps cost {spent:.6f} USD, max_cost_usd={cap:g}")  # fmt: skip
        return True
    refused = [
        r for r in deps.runs.list_tool_results(run.run_id) if r.status == ToolCallStatus.REFUSED
    ]
    if len(refused) >= MAX_REFUSED_CALLS:
        reasons = "; ".join(f"{r.name}: {r.error}" for r in refused[:MAX_REFUSED_CALLS])
        message = f"{len(refused)} tool calls were refused by the integration proxy ({reasons})"
        _fail(deps, run, "tool_calls_refused", message)
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
            Code ``work_in_progress``: another copy of the task is taking the step.
        PermanentError: The model refused the request; the run is failed first.
    """
    run = deps.runs.get_run(task.run_id)
    if run.status != RunStatus.RUNNING:
        return
    step = deps.runs.get_step(run.run_id, task.step)
    if step is None:
        if _policy_stop(deps, run, task.step):
            return
        step = _take_step_once(deps, run, task.step, attempt, max_attempts)
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
        if not is_granted(spec, call.name):
            refuse_call(deps, run, step, call.call_index,
                        f"tool {call.name!r} is not granted to this agent")  # fmt: skip
            continue
        deps.tasks.enqueue(
            queue_of(call.name),
            TOOL_CALL_PATH,
            ToolCallTask(run_id=run.run_id, step=task.step, call_index=call.call_index),
            task_id=tool_call_task_id(run.run_id, task.step, call.call_index),
        )
    _fan_in(deps, run, step)


def _take_step_once(
    deps: Dependencies, run: Run, step: int, attempt: int, max_attempts: int
) -> ModelStep:
    # Under the step's lease, so two copies of the task running at once call the model once.
    last = leases.is_last_attempt(attempt, max_attempts)
    limit_s = model_timeout_s(load_spec(deps, run))
    with leases.leased(deps, run.run_id, leases.step_key(step), limit_s, last_attempt=last):
        stored = deps.runs.get_step(run.run_id, step)
        if stored is not None:  # the previous holder took it
            return stored
        try:
            fresh = _call_model(deps, run, step)
        except PermanentError as error:
            _fail(deps, run, error.code, error.message)
            raise
        except TransientError as error:
            if last:
                _fail(deps, run, error.code, f"{error.message} (after {attempt} attempts)")
            raise
        return deps.runs.record_step(run.run_id, fresh)[0]


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
        TransientError: The target failed and attempts remain; the task is retried. Code
            ``work_in_progress``: another copy of the task is making the call.
    """
    run = deps.runs.get_run(task.run_id)
    if run.status != RunStatus.RUNNING:
        return
    step = deps.runs.get_step(run.run_id, task.step)
    if step is None or task.call_index >= len(step.function_calls):
        raise PermanentError(
            "tool_call_not_found", f"no call {task.call_index} in step {task.step}"
        )
    if not _has_result(deps, run, task.step, task.call_index):
        _run_tool_once(deps, run, step, task.call_index, attempt, max_attempts)
    _fan_in(deps, run, step)


def _has_result(deps: Dependencies, run: Run, step: int, call_index: int) -> bool:
    return any(r.call_index == call_index for r in deps.runs.list_tool_results(run.run_id, step))


def _run_tool_once(
    deps: Dependencies, run: Run, step: ModelStep, call_index: int, attempt: int, max_attempts: int
) -> None:
    # Under the call's lease, so two copies of the task running at once call the tool once.
    # take_model_step only enqueues granted tools
    config = tool_config(load_spec(deps, run), step.function_calls[call_index].name)
    key = leases.tool_call_key(step.step, call_index)
    limit_s = leases.tool_time_limit_s(config)
    last = leases.is_last_attempt(attempt, max_attempts)
    with leases.leased(deps, run.run_id, key, limit_s, last_attempt=last):
        if _has_result(deps, run, step.step, call_index):  # the previous holder's
            return
        result = run_tool(deps, run, step, call_index, config, attempt, max_attempts)
    if result.status == ToolCallStatus.FAILED and last:
        _fail(deps, run, "tool_failed", f"tool {result.name} failed: {result.error}")
