"""The SDK's retries (429/503 with ``Retry-After``) and error tree, on a scripted transport.

Everything else about the SDK is tested against the local stack (tests/e2e/test_sdk.py); the
stack cannot be made to answer 429 or 503 on demand, so these few use httpx's MockTransport.
"""

from __future__ import annotations

import time

import httpx
import pytest

from switchyard import BadRequestError, Client, RateLimitedError, RetryPolicy, ServerError

RUN = {
    "run_id": "r1",
    "org_id": "o1",
    "agent_id": "a1",
    "agent_version": 1,
    "status": "requested",
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-01-01T00:00:00Z",
    "a_field_from_a_newer_api": True,
}


def _problem(status: int, code: str, retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after else {}
    body = {"type": f"urn:switchyard:problem:{code}", "title": code, "status": status}
    return httpx.Response(status, json={**body, "code": code, "detail": code}, headers=headers)


def _client(answers: list[httpx.Response], seen: list[httpx.Request]) -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    policy = RetryPolicy(max_retries=3, backoff_s=0.01, max_backoff_s=5)
    return Client(
        "http://api.test", "sy_test_x", retry=policy, transport=httpx.MockTransport(handler)
    )


def test_429_and_503_are_retried_after_retry_after_with_the_same_idempotency_key() -> None:
    seen: list[httpx.Request] = []
    answers = [
        _problem(429, "rate_limited", retry_after="1"),
        _problem(503, "dependency_unavailable", retry_after="0"),
        httpx.Response(202, json=RUN),
    ]
    started = time.monotonic()

    run = _client(answers, seen).create_run("a1", {"x": 1})

    assert run.run_id == "r1"
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 was honoured
    keys = {request.headers["Idempotency-Key"] for request in seen}
    assert len(seen) == 3 and len(keys) == 1


def test_retries_stop_after_the_policys_limit() -> None:
    seen: list[httpx.Request] = []
    answers = [_problem(503, "dependency_unavailable", retry_after="0") for _ in range(4)]

    with pytest.raises(ServerError) as raised:
        _client(answers, seen).get_run("r1")

    assert len(seen) == 4
    assert raised.value.code == "dependency_unavailable" and raised.value.retryable


def test_a_refused_request_is_not_retried() -> None:
    seen: list[httpx.Request] = []

    with pytest.raises(BadRequestError) as raised:
        _client([_problem(400, "invalid_parameter")], seen).get_run("r1", wait_s=5)

    assert len(seen) == 1
    assert raised.value.code == "invalid_parameter"
    assert seen[0].url.params["wait"] == "5"
    assert not isinstance(raised.value, RateLimitedError)
