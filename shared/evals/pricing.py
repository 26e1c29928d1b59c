"""What a model call costs: a price table of Gemini models on Vertex AI, in USD per 1M tokens.

Source: Google Cloud, "Vertex AI pricing — Generative AI on Vertex AI", section "Gemini models",
https://cloud.google.com/vertex-ai/generative-ai/pricing (standard, pay-as-you-go, text
input and output, global endpoint; prices as published for 2025). The ``*_long`` rates apply when
the prompt of a call is above 200,000 tokens. Prices change: pass your own table to
:func:`cost_usd` (``EvalContext.prices``) when they do, or set ``EvalContext.cost_usd`` from
billing data.
"""

from __future__ import annotations

from shared.domain.base import Model

LONG_PROMPT_TOKENS = 200_000


class Price(Model):
    """Rates of one model, USD per 1M tokens.

    Attributes:
        input: Input (prompt) tokens, prompts up to 200k tokens.
        output: Output tokens (thinking tokens included), prompts up to 200k tokens.
        input_long: Input tokens when the prompt is above 200k tokens.
        output_long: Output tokens when the prompt is above 200k tokens.
    """

    input: float
    output: float
    input_long: float | None = None
    output_long: float | None = None


PRICES: dict[str, Price] = {
    "gemini-2.5-pro": Price(input=1.25, output=10.00, input_long=2.50, output_long=15.00),
    "gemini-2.5-flash": Price(input=0.30, output=2.50),
    "gemini-2.5-flash-lite": Price(input=0.10, output=0.40),
    "gemini-2.0-flash": Price(input=0.15, output=0.60),
    "gemini-2.0-flash-001": Price(input=0.15, output=0.60),
    "gemini-2.0-flash-lite": Price(input=0.075, output=0.30),
    "gemini-2.0-flash-lite-001": Price(input=0.075, output=0.30),
}


def price_of(model: str, prices: dict[str, Price] | None = None) -> Price | None:
    """The rates of ``model`` (a version suffix such as ``-preview-05-20`` falls back to the
    base id), or None when the table does not know it."""
    table = PRICES if prices is None else prices
    if model in table:
        return table[model]
    candidates = [name for name in table if model.startswith(f"{name}-")]
    return table[max(candidates, key=len)] if candidates else None


def cost_usd(
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    prices: dict[str, Price] | None = None,
) -> float | None:
    """Cost in USD of ``prompt_tokens`` in and ``completion_tokens`` out, or None when the
    model is not in the table.

    The long-prompt rate is chosen by the prompt size of the whole count given; for a run of
    several steps pass each step's tokens separately and sum, when a step may exceed 200k.
    """
    price = price_of(model, prices)
    if price is None:
        return None
    long = prompt_tokens > LONG_PROMPT_TOKENS
    rate_in = price.input_long if long and price.input_long is not None else price.input
    rate_out = price.output_long if long and price.output_long is not None else price.output
    return (prompt_tokens * rate_in + completion_tokens * rate_out) / 1_000_000
