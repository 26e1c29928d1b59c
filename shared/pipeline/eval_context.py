"""What the evals of a run can measure: built from the run's stored record, never from memory."""

from __future__ import annotations

import json

from shared.composition import Dependencies
from shared.domain.runs import Run
from shared.domain.spec import AgentSpec
from shared.evals.context import EvalContext
from shared.pipeline.conversation import label_value


def input_text(run: Run) -> str:
    """The run's input as the text pre-flight evals check (JSON; non-ASCII kept, so PII shows)."""
    return json.dumps(run.input, ensure_ascii=False)


def grader_labels(run: Run, spec: AgentSpec) -> dict[str, str]:
    """Labels of the grader's requests: the agent's and run's, as on the agent's own requests,
    so usage reports and the model emulator's scripts tell them apart by agent."""
    return {"switchyard-agent": label_value(spec.name), "switchyard-run": label_value(run.run_id)}


def eval_context(deps: Dependencies, run: Run, spec: AgentSpec) -> EvalContext:
    """The measurements of ``run`` for its evals, and the grader (the agent's model client).

    ``latency_ms`` is the generation's wall time: from ``started_at`` to the run's last update
    (when postgen runs, the move to ``generated``). ``finish_reason`` is the last step's; tool
    calls are every call the model asked for.
    """
    steps = deps.runs.list_steps(run.run_id)
    latency_ms = None
    if run.started_at is not None:
        latency_ms = (run.updated_at - run.started_at).total_seconds() * 1000
    return EvalContext(
        prompt=input_text(run),
        model=spec.model.name,
        usage=run.usage,
        latency_ms=latency_ms,
        finish_reason=steps[-1].finish_reason if steps else None,
        tool_calls=tuple(call for step in steps for call in step.function_calls),
        grader=deps.model,
        grader_labels=grader_labels(run, spec),
    )
