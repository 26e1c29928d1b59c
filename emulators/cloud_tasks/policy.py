"""The pure rules of a Cloud Tasks queue: retry backoff, retry limits and the dispatch token bucket.

Nothing here owns a thread, reads a clock or touches the network: callers pass the time in, so
the rules are unit tested exactly. Defaults and semantics follow Google's reference for
``google.cloud.tasks.v2.RetryConfig`` and ``RateLimits``
(https://cloud.google.com/tasks/docs/reference/rpc/google.cloud.tasks.v2#retryconfig), and the
values ``gcloud tasks queues describe`` shows for a queue created without settings
(https://cloud.google.com/tasks/docs/add-task-queue): 500 dispatches/s, 1000 concurrent
dispatches, max burst 100, 100 attempts, backoff 0.1 s to 3600 s, 16 doublings.
"""

from __future__ import annotations

import math
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Ceiling of the burst size the emulator picks; see :func:`burst_size_for`.
MAX_BURST_CEILING = 100

_TOLERANCE = 1e-9


class RetryPolicy(BaseModel):
    """When a failed task is attempted again (Google's ``RetryConfig``).

    Attributes:
        max_attempts: Attempts per task including the first; -1 means unlimited.
        max_retry_duration_s: Seconds after the first attempt during which retries go on;
            0 means unlimited.
        min_backoff_s: Seconds before the first retry.
        max_backoff_s: Longest wait between two attempts, in seconds.
        max_doublings: How many times the wait doubles before it grows linearly.

    Google truncates the three durations to whole seconds; the emulator keeps fractions so
    that tests of the schedule run in a second rather than minutes.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=100, ge=-1)
    max_retry_duration_s: float = Field(default=0.0, ge=0)
    min_backoff_s: float = Field(default=0.1, ge=0)
    max_backoff_s: float = Field(default=3600.0, ge=0)
    max_doublings: int = Field(default=16, ge=0)

    @model_validator(mode="after")
    def _backoff_range(self) -> Self:
        if self.min_backoff_s > self.max_backoff_s:
            raise ValueError("min_backoff must not exceed max_backoff")
        return self

    def backoff_s(self, retry_index: int) -> float:
        """Seconds to wait before retry number ``retry_index + 1``.

        Google: "A task's retry interval starts at min_backoff, then doubles max_doublings
        times, then increases linearly, and finally retries at intervals of max_backoff". The
        linear step is ``2**max_doublings * min_backoff``; with min 10 s, max 300 s and 3
        doublings the waits are 10, 20, 40, 80, 160, 240, 300, 300, ...

        Args:
            retry_index: 0 for the wait after the first failed attempt, 1 after the second...

        Returns:
            The wait in seconds, at most ``max_backoff_s``.
        """
        # The exponent cap only keeps ldexp finite; any such value is far above max_backoff.
        step = math.ldexp(self.min_backoff_s, min(retry_index, self.max_doublings, 1000))
        linear_steps = max(0, retry_index - self.max_doublings)
        return min(self.max_backoff_s, step * (1 + linear_steps))

    def should_retry(self, attempts: int, since_first_attempt_s: float) -> bool:
        """Whether a task whose last attempt failed gets another one.

        Google: "Cloud Tasks stops retrying only when max_attempts and max_retry_duration are
        both satisfied"; an unlimited limit counts as satisfied unless both are unlimited.

        Args:
            attempts: Attempts made so far, including the failed one.
            since_first_attempt_s: Seconds from the first attempt's dispatch to now.

        Returns:
            True to schedule a retry, False to delete the task.
        """
        if self.max_attempts == -1 and self.max_retry_duration_s == 0:
            return True
        attempts_done = self.max_attempts == -1 or attempts >= self.max_attempts
        duration_done = (
            self.max_retry_duration_s == 0 or since_first_attempt_s >= self.max_retry_duration_s
        )
        return not (attempts_done and duration_done)


def burst_size_for(max_dispatches_per_second: float) -> int:
    """The token bucket size the emulator picks for a dispatch rate.

    ``max_burst_size`` is output only and Google picks it from the rate: "generally at least
    equal to max_dispatches_per_second", and a default queue (500/s) reports 100. The emulator
    uses ``ceil(rate)`` clamped to ``[1, 100]``: one second's worth of dispatches, the rule the
    doc states, bounded by the value Google shows at its default rate.

    Args:
        max_dispatches_per_second: The queue's rate limit (0 < rate <= 500).

    Returns:
        The bucket capacity in tasks.
    """
    return max(1, min(MAX_BURST_CEILING, math.ceil(max_dispatches_per_second)))


class RatePolicy(BaseModel):
    """How fast a queue may dispatch (Google's ``RateLimits``).

    Attributes:
        max_dispatches_per_second: Token refill rate; Google allows at most 500.
        max_concurrent_dispatches: Attempts in flight at once; Google allows at most 5000.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_dispatches_per_second: float = Field(default=500.0, gt=0, le=500)
    max_concurrent_dispatches: int = Field(default=1000, ge=1, le=5000)

    @property
    def max_burst_size(self) -> int:
        """Token bucket capacity, from :func:`burst_size_for`."""
        return burst_size_for(self.max_dispatches_per_second)


class TokenBucket:
    """The token bucket that paces a queue's dispatches.

    Google: "Each queue has a token bucket that holds tokens, up to the maximum specified by
    max_burst_size. Each time a task is dispatched, a token is removed from the bucket. [...]
    The bucket will be continuously refilled with new tokens based on
    max_dispatches_per_second." The bucket starts full. Not thread-safe: the caller holds the
    lock of the queue it belongs to.

    Args:
        rate: Tokens added per second (> 0).
        capacity: Most tokens the bucket holds (>= 1).
        now: Current time in seconds, on the clock every later call uses.
    """

    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self._rate = rate
        self._capacity = capacity
        self._tokens = float(capacity)
        self._updated_at = now

    @property
    def capacity(self) -> int:
        """Most tokens the bucket holds."""
        return self._capacity

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated_at)
        self._tokens = min(float(self._capacity), self._tokens + elapsed * self._rate)
        self._updated_at = max(self._updated_at, now)

    def reconfigure(self, rate: float, capacity: int, now: float) -> None:
        """Change rate and capacity, keeping the tokens earned so far (up to the new capacity).

        Args:
            rate: New tokens per second.
            capacity: New capacity.
            now: Current time in seconds.
        """
        self._refill(now)
        self._rate = rate
        self._capacity = capacity
        self._tokens = min(self._tokens, float(capacity))

    def try_take(self, now: float) -> bool:
        """Take one token if the bucket holds one.

        Args:
            now: Current time in seconds.

        Returns:
            True when a token was taken, so one dispatch may start now.
        """
        self._refill(now)
        # The tolerance absorbs float rounding, so a caller woken at next_token_at() gets its
        # token instead of waking again a nanosecond later.
        if self._tokens >= 1.0 - _TOLERANCE:
            self._tokens = max(0.0, self._tokens - 1.0)
            return True
        return False

    def next_token_at(self, now: float) -> float:
        """The time at which the bucket will hold a whole token.

        Args:
            now: Current time in seconds.

        Returns:
            A time in seconds on the caller's clock; ``now`` when a token is there already.
        """
        self._refill(now)
        missing = max(0.0, 1.0 - self._tokens)
        return now + missing / self._rate
