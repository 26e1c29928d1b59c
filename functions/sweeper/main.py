"""Cloud Function ``sweeper``: ``sweep-requested`` (every minute) → stalled runs moved again."""

from shared.transport.sweeps import sweep_function

sweeper = sweep_function("sweeper")
