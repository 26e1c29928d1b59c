"""``Idempotency-Key`` on ``POST /v1/agents/{id}/runs``, as the IETF draft describes it."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from shared.adapters.in_memory_publisher import InMemoryEventPublisher
from shared.domain.triggers import IdempotencyRecord, ReceiptKind
from shared.errors import TransientError
from shared.triggers.idempotency import fingerprint
from tests.unit.api_harness import ApiHarness, assert_problem, make_harness
from tests.unit.triggers_support import FakeClock, runs_of, trigger_harness


@pytest.fixture
def harness() -> tuple[ApiHarness, FakeClock]:
    return trigger_harness()


@pytest.fixture
def api(harness: tuple[ApiHarness, FakeClock]) -> ApiHarness:
    return harness[0]


def _post(
    api: ApiHarness, agent_id: str, key: str, body: dict[str, Any], api_key: str | None = None
) -> Any:
    return api.client.post(
        f"/v1/agents/{agent_id}/runs",
        json=body,
        headers={**api.auth(api_key), "Idempotency-Key": key},
    )


def test_the_same_key_and_body_replays_the_first_response(api: ApiHarness) -> None:
    agent_id = api.create_agent()

    first = _post(api, agent_id, '"order-1"', {"input": {"q": 1}})
    again = _post(api, agent_id, '"order-1"', {"input": {"q": 1}})

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(runs_of(api, agent_id)) == 1
    assert [m.topic for m in api.published].count("run-requested") == 1


def test_a_bare_token_and_an_sf_string_are_the_same_key(api: ApiHarness) -> None:
    agent_id = api.create_agent()

    quoted = _post(api, agent_id, '"k-1"', {"input": {}})
    bare = _post(api, agent_id, "k-1", {})  # an empty body is an empty input: the same request

    assert bare.get_json()["run_id"] == quoted.get_json()["run_id"]


def test_the_same_key_with_another_body_or_agent_is_422(api: ApiHarness) -> None:
    agent_id, other_agent = api.create_agent(), api.create_agent("other")
    _post(api, agent_id, "k", {"input": {"q": 1}})

    other_body = _post(api, agent_id, "k", {"input": {"q": 2}})
    other_path = _post(api, other_agent, "k", {"input": {"q": 1}})

    assert_problem(other_body, 422, "idempotency_key_reused")
    assert_problem(other_path, 422, "idempotency_key_reused")
    assert len(runs_of(api, agent_id)) == 1 and runs_of(api, other_agent) == []


def test_a_retry_while_the_first_is_in_flight_is_409(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent_id = api.create_agent()
    original = api.deps.agents.get_agent
    during: list[Any] = []

    def get_agent_and_meanwhile_retry(org_id: str, agent: str) -> Any:
        if not during:
            during.append(_post(api, agent_id, "k", {"input": {}}))
        return original(org_id, agent)

    monkeypatch.setattr(api.deps.agents, "get_agent", get_agent_and_meanwhile_retry)
    first = _post(api, agent_id, "k", {"input": {}})

    assert first.status_code == 202
    assert_problem(during[0], 409, "idempotency_key_in_flight")
    assert len(runs_of(api, agent_id)) == 1


def test_keys_are_scoped_to_the_organisation(api: ApiHarness) -> None:
    mine, theirs = api.create_agent(), api.create_agent(key=api.other_key)

    ours = _post(api, mine, "shared-key", {})
    other = _post(api, theirs, "shared-key", {}, api_key=api.other_key)

    assert (ours.status_code, other.status_code) == (202, 202)
    assert ours.get_json()["run_id"] != other.get_json()["run_id"]


def test_a_failed_request_frees_its_key(api: ApiHarness) -> None:
    missing = _post(api, "no-such-agent", "k", {})
    agent_id = api.create_agent()

    retried = _post(api, agent_id, "k", {})

    assert_problem(missing, 404, "agent_not_found")
    assert retried.status_code == 202


class FlakyPublisher(InMemoryEventPublisher):
    """A broker that refuses the next ``failures`` messages."""

    failures = 0

    def publish_raw(self, topic: str, data: bytes, attributes: Mapping[str, str]) -> str:
        if self.failures:
            self.failures -= 1
            raise TransientError("publish_timeout", "the broker did not answer")
        return super().publish_raw(topic, data, attributes)


def test_a_broker_outage_frees_the_key_and_the_retry_makes_a_new_run() -> None:
    publisher = FlakyPublisher()
    api = make_harness(dataclasses.replace(trigger_harness()[0].deps, publisher=publisher))
    agent_id = api.create_agent()
    publisher.failures = 1

    failed = _post(api, agent_id, "k", {})
    retried = _post(api, agent_id, "k", {})

    assert_problem(failed, 503, "trigger_publish_failed")
    assert retried.status_code == 202
    statuses = sorted(run.status.value for run in runs_of(api, agent_id))
    assert statuses == ["failed", "requested"]


def test_a_key_is_kept_24_hours(harness: tuple[ApiHarness, FakeClock]) -> None:
    api, clock = harness
    agent_id = api.create_agent()
    first = _post(api, agent_id, "daily", {})

    clock.advance(hours=23, minutes=59)
    same = _post(api, agent_id, "daily", {})
    clock.advance(minutes=2)
    later = _post(api, agent_id, "daily", {})

    assert same.get_json()["run_id"] == first.get_json()["run_id"]
    assert later.get_json()["run_id"] != first.get_json()["run_id"]


def test_a_stalled_first_request_is_taken_over_after_its_lease_with_the_same_run_id(
    harness: tuple[ApiHarness, FakeClock],
) -> None:
    api, clock = harness
    agent_id = api.create_agent()
    request = {"agent_id": agent_id, "input": {}, "environment": "prod"}
    now = clock()
    stalled = IdempotencyRecord(
        kind=ReceiptKind.IDEMPOTENCY_KEY, scope=api.org_id, key="k",
        fingerprint=fingerprint(request), run_id="reserved0123456789abcdef01234567",
        created_at=now, locked_until=now + timedelta(seconds=60),
        expires_at=now + timedelta(hours=24),
    )  # fmt: skip
    api.deps.idempotency.begin(stalled, now)  # its holder died before creating the run

    blocked = _post(api, agent_id, "k", {})
    clock.advance(seconds=61)
    taken_over = _post(api, agent_id, "k", {})

    assert_problem(blocked, 409, "idempotency_key_in_flight")
    assert taken_over.status_code == 202
    assert taken_over.get_json()["run_id"] == stalled.run_id


@pytest.mark.parametrize("key", ["", '""', "x" * 256, "caf\u00e9", '"unterminated'])
def test_a_malformed_key_is_a_400(api: ApiHarness, key: str) -> None:
    agent_id = api.create_agent()

    response = _post(api, agent_id, key, {})

    if key == '"unterminated':  # not an sf-string, but a valid bare token
        assert response.status_code == 202
        return
    assert_problem(response, 400, "invalid_parameter")


def test_fifty_concurrent_identical_requests_make_one_run(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    barrier = threading.Barrier(50)

    def attempt(_: int) -> tuple[int, str | None]:
        client = api.app.test_client()
        barrier.wait(timeout=30)
        response = client.post(
            f"/v1/agents/{agent_id}/runs",
            json={"input": {"q": "same"}},
            headers={**api.auth(), "Idempotency-Key": "burst"},
        )
        return response.status_code, (response.get_json() or {}).get("run_id")

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(attempt, range(50)))

    assert {status for status, _ in answers} <= {202, 409}
    assert len({run_id for status, run_id in answers if status == 202}) == 1
    assert len(runs_of(api, agent_id)) == 1
