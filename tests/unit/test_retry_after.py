"""A tool target's 429/5xx answers: ``Retry-After`` read as RFC 9110 §10.2.3 defines it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.errors import RateLimitedError, TransientError
from shared.tools.safe_http import Fetched, retry_after_s

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("Sat, 21 Nov 2026 12:00:30 GMT", 30.0),  # IMF-fixdate
        ("Saturday, 21-Nov-26 12:01:00 GMT", 60.0),  # obsolete RFC 850
        ("Sat Nov 21 12:00:05 2026", 5.0),  # obsolete asctime, GMT by definition
        ("Sat, 21 Nov 2026 11:00:00 GMT", 0.0),  # in the past: now
        (None, None),
        ("", None),
        ("-5", None),
        ("soon", None),
        ("1.5", None),  # delay-seconds is a non-negative integer
    ],
)
def test_retry_after_is_seconds_or_an_http_date(header: str | None, seconds: float | None) -> None:
    assert retry_after_s(header, NOW) == seconds


def _answer(status: int, headers: dict[str, str] | None = None) -> Fetched:
    return Fetched(status, "https://shop.example/p", headers or {}, b"", False, "utf-8")


def test_a_429_naming_its_delay_is_rate_limited_for_that_long() -> None:
    with pytest.raises(RateLimitedError) as raised:
        _answer(429, {"retry-after": "7"}).raise_for_retryable("GET https://shop.example/p")

    assert (raised.value.code, raised.value.retry_after_s) == ("tool_target_rate_limited", 7.0)


def test_a_503_naming_its_delay_waits_too_and_one_without_is_plainly_transient() -> None:
    with pytest.raises(RateLimitedError) as delayed:
        _answer(503, {"retry-after": "2"}).raise_for_retryable("Slack")
    with pytest.raises(TransientError) as plain:
        _answer(429).raise_for_retryable("Slack")

    assert delayed.value.code == "tool_target_unavailable"
    assert not isinstance(plain.value, RateLimitedError)
    assert plain.value.code == "tool_target_unavailable"


@pytest.mark.parametrize("status", [200, 301, 404, 422])
def test_other_answers_are_the_tools_to_read(status: int) -> None:
    _answer(status, {"retry-after": "9"}).raise_for_retryable("GET https://shop.example/p")
