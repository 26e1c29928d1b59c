"""Per-key request rate limiting: a token bucket per API key, in each instance's memory.

Why per instance rather than one counter for the whole service: a Firestore document takes about
one sustained write a second, so a shared counter per key would itself be the bottleneck (and
sharded counters per time window cost a write per request plus reads to sum the shards). A
bucket in memory costs nothing and answers at once; the price is that the limit holds per
instance: with N instances of the API a key may make up to N times the rate. Cloud Run's
``max_instance_count`` bounds N, so the effective ceiling is ``rate * max instances``, which is
what the documentation states.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_TRACKED_KEYS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """Allows ``rate_per_s`` requests a second per key, in bursts of up to ``burst``.

    Args:
        rate_per_s: Tokens added per second (the sustained rate).
        burst: Bucket size: requests allowed at once after a quiet spell.
        monotonic: Seconds (``time.monotonic``).
    """

    def __init__(
        self, rate_per_s: float, burst: int, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be positive and burst at least 1")
        self._rate = rate_per_s
        self._burst = float(burst)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def acquire(self, key: str) -> float:
        """Take one token for ``key``.

        Returns:
            0.0 when the request may go ahead, else the seconds until a token is available
            (the ``Retry-After``).
        """
        now = self._monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= MAX_TRACKED_KEYS:
                    self._evict_full(now)
                bucket = self._buckets[key] = _Bucket(self._burst, now)
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self._rate

    def _evict_full(self, now: float) -> None:
        # A bucket that has refilled is the same as no bucket: forgetting it loses nothing.
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * self._rate >= self._burst
        ]
        for key in full or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[key]
