"""EvalContext: what the engine knows about the run besides the text under test."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.domain.runs import Usage
from shared.domain.spec import ModelConfig
from shared.domain.steps import FunctionCall
from shared.evals.pricing import Price, cost_usd
from shared.ports.model_client import ModelClient


@dataclass(frozen=True, kw_only=True)
class EvalContext:
    """The run's measurements and the grader, for assertions that need more than the text.

    Every field is optional; an assertion whose measurement is missing fails with a reason that
    names it (promptfoo raises an error there), so nothing passes unmeasured.

    Attributes:
        prompt: The input the model answered (``factuality``, ``model-graded-closedqa`` and
            ``g-eval`` show it to the grader), such as the run's input as JSON.
        model: Model id of the run, for the price table.
        usage: Tokens used by the run (``shared.domain.runs.Usage``).
        latency_ms: Wall time of the run's generation, in milliseconds (``latency``).
        cost_usd: Cost of the run in USD; when None it is computed from ``usage`` and
            ``model`` with the price table (``cost``).
        prices: Price table replacing ``shared.evals.pricing.PRICES``.
        logprobs: Log-probabilities of the output tokens, natural log (``perplexity``).
        finish_reason: The model's finish reason, such as ``STOP`` (``finish-reason``).
        tool_calls: Tool calls the agent made (``tool-call-f1``); when None the tool names are
            read from the output text, as promptfoo does.
        grader: Model client for model-graded assertions.
        grader_model: Model and settings of the grader; an assertion's ``provider`` replaces
            the model name.
        grader_timeout_s: Time limit of one grader call, in seconds.
        grader_labels: Labels of every grader request besides ``switchyard_purpose``, such as
            the run's agent and run id (Vertex AI reports usage by them; the model emulator
            selects its script by them).
    """

    prompt: str | None = None
    model: str | None = None
    usage: Usage | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None
    prices: dict[str, Price] | None = None
    logprobs: tuple[float, ...] | None = None
    finish_reason: str | None = None
    tool_calls: tuple[FunctionCall, ...] | None = None
    grader: ModelClient | None = field(default=None, repr=False)
    grader_model: ModelConfig = field(default_factory=lambda: ModelConfig(temperature=0.0))
    grader_timeout_s: float = 60.0
    grader_labels: dict[str, str] = field(default_factory=dict)

    def measured_cost_usd(self) -> float | None:
        """``cost_usd`` if given, else the price of ``usage`` for ``model``, else None."""
        if self.cost_usd is not None:
            return self.cost_usd
        if self.usage is None or self.model is None:
            return None
        return cost_usd(
            self.model, self.usage.prompt_tokens, self.usage.completion_tokens, self.prices
        )
