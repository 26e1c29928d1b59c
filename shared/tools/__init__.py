"""Tools agents call. Each runs behind its own Cloud Tasks queue (rate limit and retries)."""
