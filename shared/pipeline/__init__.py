"""The run pipeline's use cases: one module per stage, each a function of (dependencies, input).

They hold every business rule of the stages; the Cloud Functions and Cloud Run edges only decode
their transport, call one of these, and map the outcome back.
"""
