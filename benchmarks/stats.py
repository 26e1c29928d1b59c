"""The arithmetic of the benchmarks: percentiles, and the burst and steady rate of arrivals.

Pure functions of lists of numbers (seconds), so they are unit-tested apart from any timing.
"""

from __future__ import annotations

from collections.abc import Sequence


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile of ``values`` by nearest rank, such as 0.95 for p95.

    Args:
        values: At least one number.
        share: 0 to 1.

    Raises:
        ValueError: When ``values`` is empty or ``share`` is outside 0 to 1.
    """
    if not values or not 0.0 <= share <= 1.0:
        raise ValueError("percentile needs values and a share between 0 and 1")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def largest_burst(arrivals: Sequence[float], rate_per_s: float) -> int:
    """The most arrivals seen ahead of a steady ``rate_per_s`` since the first one.

    A token bucket of capacity B that starts full lets at most ``B + rate * t`` requests through
    in the ``t`` seconds after the first, so ``max(i + 1 - rate * (t_i - t_0))`` over the sorted
    arrivals ``t_i`` is the bucket size the arrivals show; jitter in delivery only lowers it.

    Args:
        arrivals: Arrival times in seconds, at least one.
        rate_per_s: The configured rate.

    Returns:
        The burst size, rounded to the nearest whole arrival (at least 1).

    Raises:
        ValueError: When ``arrivals`` is empty.
    """
    if not arrivals:
        raise ValueError("no arrivals")
    ordered = sorted(arrivals)
    excess = max(index + 1 - rate_per_s * (t - ordered[0]) for index, t in enumerate(ordered))
    return max(1, round(excess))


def steady_rate(arrivals: Sequence[float], burst: int) -> float:
    """Arrivals per second beyond the first ``burst``, over the whole span of the arrivals.

    A token bucket of capacity ``burst`` lets N requests through in ``(N - burst) / rate``
    seconds from the first, however long the burst itself took to dispatch, so this is the
    rate such a bucket would have.

    Args:
        arrivals: Arrival times in seconds.
        burst: Arrivals that came on the bucket's initial tokens.

    Raises:
        ValueError: When no arrival is left beyond the burst, or they all came at once.
    """
    ordered = sorted(arrivals)
    if len(ordered) <= burst or ordered[-1] == ordered[0]:
        raise ValueError(f"{len(ordered)} arrivals with a burst of {burst}: no rate to time")
    return (len(ordered) - burst) / (ordered[-1] - ordered[0])
