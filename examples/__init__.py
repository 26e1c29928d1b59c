"""Example agents and the demo that runs them on the local stack (``make demo``)."""
