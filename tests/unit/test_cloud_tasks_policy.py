"""The pure rules of the Cloud Tasks emulator: backoff schedule, retry limits, token bucket."""

from __future__ import annotations

import pydantic
import pytest

from emulators.cloud_tasks.policy import RatePolicy, RetryPolicy, TokenBucket, burst_size_for


def test_backoff_follows_googles_documented_example() -> None:
    # RetryConfig.max_doublings: "min_backoff is 10s, max_backoff is 300s, and max_doublings
    # is 3 [...] the requests will retry at 10s, 20s, 40s, 80s, 160s, 240s, 300s, 300s".
    policy = RetryPolicy(min_backoff_s=10, max_backoff_s=300, max_doublings=3)

    assert [policy.backoff_s(i) for i in range(8)] == [10, 20, 40, 80, 160, 240, 300, 300]


def test_backoff_grows_linearly_by_the_last_doubled_step() -> None:
    policy = RetryPolicy(min_backoff_s=0.1, max_backoff_s=0.8, max_doublings=1)

    assert [policy.backoff_s(i) for i in range(6)] == pytest.approx([0.1, 0.2, 0.4, 0.6, 0.8, 0.8])


def test_backoff_with_default_policy_stays_finite_and_capped() -> None:
    policy = RetryPolicy()

    assert policy.backoff_s(0) == pytest.approx(0.1)
    assert policy.backoff_s(10_000) == 3600.0


def test_retry_stops_after_max_attempts_when_duration_is_unlimited() -> None:
    policy = RetryPolicy(max_attempts=3)

    assert policy.should_retry(attempts=2, since_first_attempt_s=0)
    assert not policy.should_retry(attempts=3, since_first_attempt_s=0)


def test_retry_goes_on_until_both_limits_are_reached() -> None:
    policy = RetryPolicy(max_attempts=3, max_retry_duration_s=60)

    assert policy.should_retry(attempts=5, since_first_attempt_s=30)  # duration not reached
    assert policy.should_retry(attempts=2, since_first_attempt_s=90)  # attempts not reached
    assert not policy.should_retry(attempts=3, since_first_attempt_s=60)


def test_unlimited_attempts_stop_on_duration_and_both_unlimited_never_stop() -> None:
    assert not RetryPolicy(max_attempts=-1, max_retry_duration_s=10).should_retry(1000, 10)
    assert RetryPolicy(max_attempts=-1, max_retry_duration_s=0).should_retry(10**6, 10**6)


def test_policies_refuse_values_google_refuses() -> None:
    with pytest.raises(pydantic.ValidationError):
        RetryPolicy(min_backoff_s=5, max_backoff_s=1)
    with pytest.raises(pydantic.ValidationError):
        RetryPolicy(max_attempts=-2)
    with pytest.raises(pydantic.ValidationError):
        RatePolicy(max_dispatches_per_second=501)
    with pytest.raises(pydantic.ValidationError):
        RatePolicy(max_concurrent_dispatches=5001)


@pytest.mark.parametrize(
    ("rate", "burst"), [(0.2, 1), (1, 1), (5, 5), (7.5, 8), (100, 100), (500, 100)]
)
def test_burst_is_one_second_of_dispatches_capped_at_googles_default(
    rate: float, burst: int
) -> None:
    assert burst_size_for(rate) == burst
    assert RatePolicy(max_dispatches_per_second=rate).max_burst_size == burst


def test_bucket_starts_full_then_paces_at_the_rate() -> None:
    bucket = TokenBucket(rate=5, capacity=3, now=100.0)

    assert [bucket.try_take(100.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.next_token_at(100.0) == pytest.approx(100.2)
    assert not bucket.try_take(100.19)
    assert bucket.try_take(100.2)
    assert not bucket.try_take(100.2)


def test_bucket_never_holds_more_than_its_capacity() -> None:
    bucket = TokenBucket(rate=5, capacity=2, now=0.0)
    bucket.try_take(0.0)
    bucket.try_take(0.0)

    taken = sum(bucket.try_take(1000.0) for _ in range(10))

    assert taken == 2


def test_bucket_dispatches_at_most_burst_plus_rate_times_elapsed() -> None:
    bucket = TokenBucket(rate=5, capacity=5, now=0.0)
    taken_at = [t / 100 for t in range(0, 1000) if bucket.try_take(t / 100)]

    assert len(taken_at) == 54  # the burst of 5, plus 5/s over 9.99 s
    for i, start in enumerate(taken_at):
        for j in range(i, len(taken_at)):
            assert j - i + 1 <= 5 + 5 * (taken_at[j] - start) + 1e-6


def test_reconfigure_keeps_tokens_up_to_the_new_capacity() -> None:
    bucket = TokenBucket(rate=1, capacity=10, now=0.0)
    bucket.reconfigure(rate=100, capacity=2, now=0.0)

    assert sum(bucket.try_take(0.0) for _ in range(5)) == 2
    assert bucket.next_token_at(0.0) == pytest.approx(0.01)
