"""The eval engine: assertions with promptfoo's meaning, scored into gates. No Flask, no Google.

::

    from shared.evals import EvalContext, evaluate
    result = evaluate(spec, output, EvalContext(latency_ms=1200, grader=model_client))

See ``docs/evals.md`` for every assertion type and where it differs from promptfoo 0.123.
"""
