"""API keys v2: the offline checksum, scopes, expiry, revocation, rotation, last use, the rate
limit, and the ``/v1/keys`` API."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.in_memory_identity_store import InMemoryIdentityStore
from shared.auth.api_keys import BASE62, checksum, parse_key
from shared.auth.authenticator import ApiKeyAuthenticator
from shared.auth.rate_limit import TokenBucketLimiter
from shared.domain.agents import ApiKey
from shared.errors import UnauthenticatedError
from tests.unit.api_harness import (
    ApiHarness,
    assert_problem,
    in_memory_dependencies,
    make_harness,
)


class CountingIdentityStore(InMemoryIdentityStore):
    """The twin, counting key reads and last-used writes."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.use_writes = 0

    def find_api_key(self, key_id: str) -> ApiKey | None:
        self.reads += 1
        return super().find_api_key(key_id)

    def record_api_key_use(self, key_id: str, used_at: datetime) -> None:
        self.use_writes += 1
        super().record_api_key_use(key_id, used_at)


class Clock:
    """A wall clock and a monotonic clock that move only when told."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.seconds = 1000.0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.seconds += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> CountingIdentityStore:
    return CountingIdentityStore()


@pytest.fixture
def api(clock: Clock, store: CountingIdentityStore) -> ApiHarness:
    deps = dataclasses.replace(in_memory_dependencies(), identities=store, clock=clock)
    return make_harness(deps)


def _create_key(api: ApiHarness, **body: object) -> dict[str, object]:
    response = api.client.post("/v1/keys", json={"name": "ci", **body}, headers=api.auth())
    assert response.status_code == 201, response.get_json()
    created: dict[str, object] = response.get_json()
    return created


def _key_id(key: str) -> str:
    return parse_key(key).key_id


def test_every_single_character_change_is_refused_without_reading_the_store(
    api: ApiHarness, store: CountingIdentityStore
) -> None:
    authenticator = ApiKeyAuthenticator(store, api.deps.secrets)
    reads = store.reads

    for position, char in enumerate(api.key):
        for replacement in {BASE62[(BASE62.find(char) + 1) % 62], "a" if char != "a" else "b"}:
            typo = api.key[:position] + replacement + api.key[position + 1 :]
            with pytest.raises(UnauthenticatedError) as raised:
                authenticator.authenticate(typo)
            assert raised.value.code == "invalid_api_key"

    assert store.reads == reads
    assert authenticator.authenticate(api.key).org_id == api.org_id
    assert store.reads == reads + 1


def test_a_typo_is_refused_by_the_api_as_401(api: ApiHarness) -> None:
    typo = api.key[:-1] + ("A" if api.key[-1] != "A" else "B")

    response = api.client.get("/v1/agents", headers=api.auth(typo))

    assert_problem(response, 401, "invalid_api_key")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_key_gets_only_its_scopes(api: ApiHarness) -> None:
    reader = str(_create_key(api, scopes=["agents:read"])["key"])
    agent_id = api.create_agent()

    assert api.client.get("/v1/agents", headers=api.auth(reader)).status_code == 200
    assert api.client.get(f"/v1/agents/{agent_id}", headers=api.auth(reader)).status_code == 200
    refused = api.client.post(
        "/v1/agents", json={"agent": {"name": "x", "system_prompt": "y"}}, headers=api.auth(reader)
    )
    body = assert_problem(refused, 403, "insufficient_scope")
    assert body["required_scope"] == "agents:write"
    runs = api.client.post(f"/v1/agents/{agent_id}/runs", json={}, headers=api.auth(reader))
    assert_problem(runs, 403, "insufficient_scope")
    assert_problem(api.client.get("/v1/runs", headers=api.auth(reader)), 403, "insufficient_scope")
    assert_problem(api.client.get("/v1/keys", headers=api.auth(reader)), 403, "insufficient_scope")


def test_a_runs_write_key_starts_runs_but_cannot_read_them(api: ApiHarness) -> None:
    agent_id = api.create_agent()
    starter = str(_create_key(api, scopes=["runs:write"])["key"])

    run_id = api.start_run(agent_id, key=starter)

    assert_problem(
        api.client.get(f"/v1/runs/{run_id}", headers=api.auth(starter)), 403, "insufficient_scope"
    )
    assert api.client.get(f"/v1/runs/{run_id}", headers=api.auth()).status_code == 200


def test_an_expired_key_is_refused(api: ApiHarness, clock: Clock) -> None:
    key = str(_create_key(api, scopes=["agents:read"], expires_in_s=60)["key"])
    assert api.client.get("/v1/agents", headers=api.auth(key)).status_code == 200

    clock.advance(61)

    assert_problem(api.client.get("/v1/agents", headers=api.auth(key)), 401, "api_key_expired")


def test_revocation_is_effective_at_once_here_and_within_the_cache_ttl_elsewhere(
    api: ApiHarness, clock: Clock, store: CountingIdentityStore
) -> None:
    created = _create_key(api, scopes=["agents:read"])
    key, key_id = str(created["key"]), _key_id(str(created["key"]))
    elsewhere = ApiKeyAuthenticator(
        store, api.deps.secrets, clock=clock, monotonic=lambda: clock.seconds
    )
    elsewhere.authenticate(key)  # another instance has the record cached
    assert api.client.get("/v1/agents", headers=api.auth(key)).status_code == 200

    revoked = api.client.post(f"/v1/keys/{key_id}/revoke", headers=api.auth())

    assert revoked.status_code == 200
    assert revoked.get_json()["revoked"] is True
    assert_problem(api.client.get("/v1/agents", headers=api.auth(key)), 401, "api_key_revoked")
    elsewhere.authenticate(key)  # still cached there ...
    clock.advance(5)
    with pytest.raises(UnauthenticatedError) as raised:  # ... for at most 5 s
        elsewhere.authenticate(key)
    assert raised.value.code == "api_key_revoked"


def test_rotation_gives_a_new_key_and_the_old_one_a_grace_period(
    api: ApiHarness, clock: Clock
) -> None:
    old = _create_key(api, scopes=["agents:read", "runs:read"])
    old_key, old_id = str(old["key"]), _key_id(str(old["key"]))

    rotated = api.client.post(
        f"/v1/keys/{old_id}/rotate", json={"grace_period_s": 3600}, headers=api.auth()
    )

    assert rotated.status_code == 201
    new = rotated.get_json()
    assert new["key"] != old_key
    assert new["api_key"]["scopes"] == ["agents:read", "runs:read"]
    assert api.client.get("/v1/agents", headers=api.auth(new["key"])).status_code == 200
    assert api.client.get("/v1/agents", headers=api.auth(old_key)).status_code == 200
    listed = {k["key_id"]: k for k in api.client.get("/v1/keys", headers=api.auth()).json["items"]}
    assert listed[old_id]["rotated_to"] == new["api_key"]["key_id"]
    again = api.client.post(f"/v1/keys/{old_id}/rotate", json={}, headers=api.auth())
    assert_problem(again, 409, "api_key_rotated")

    clock.advance(3601)

    assert_problem(api.client.get("/v1/agents", headers=api.auth(old_key)), 401, "api_key_expired")
    assert api.client.get("/v1/agents", headers=api.auth(new["key"])).status_code == 200


def test_last_use_is_written_at_most_once_a_minute(
    api: ApiHarness, clock: Clock, store: CountingIdentityStore
) -> None:
    writes = store.use_writes
    for _ in range(20):
        assert api.client.get("/v1/agents", headers=api.auth()).status_code == 200
    assert store.use_writes == writes + 1
    clock.advance(61)
    api.client.get("/v1/agents", headers=api.auth())

    assert store.use_writes == writes + 2
    record = store.find_api_key(_key_id(api.key))
    assert record is not None
    assert record.last_used_at == clock.now


def test_keys_are_listed_without_secrets_and_only_for_the_callers_organisation(
    api: ApiHarness,
) -> None:
    created = _create_key(api, scopes=["runs:read"], mode="test")
    assert str(created["key"]).startswith("sy_test_")

    listed = api.client.get("/v1/keys", headers=api.auth()).get_json()["items"]
    others = api.client.get("/v1/keys", headers=api.auth(api.other_key)).get_json()["items"]

    assert {item["name"] for item in listed} == {"bootstrap", "ci"}
    assert all("secret_hash" not in item and "key" not in item for item in listed)
    assert len(others) == 1
    key_id = _key_id(str(created["key"]))
    foreign = api.client.post(f"/v1/keys/{key_id}/revoke", headers=api.auth(api.other_key))
    assert_problem(foreign, 404, "api_key_not_found")


@pytest.mark.parametrize(
    "body",
    [{"scopes": []}, {"scopes": ["root"]}, {"scopes": ["admin"], "expires_in_s": 1}, {"name": ""}],
)
def test_a_bad_key_request_is_422(api: ApiHarness, body: dict[str, object]) -> None:
    response = api.client.post(
        "/v1/keys", json={"name": "ci", "scopes": ["admin"], **body}, headers=api.auth()
    )
    assert_problem(response, 422, "invalid_body")


def test_the_token_bucket_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    limiter = TokenBucketLimiter(rate_per_s=2.0, burst=3, monotonic=lambda: now[0])

    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("k") == pytest.approx(0.5)
    assert limiter.acquire("other") == 0.0
    now[0] += 0.5
    assert limiter.acquire("k") == 0.0
    assert limiter.acquire("k") > 0


def test_a_key_over_its_rate_gets_429_with_retry_after(clock: Clock) -> None:
    api = make_harness(
        dataclasses.replace(in_memory_dependencies(), clock=clock),
        {"RATE_LIMIT_PER_S": 0.5, "RATE_LIMIT_BURST": 2},
    )
    for _ in range(2):
        assert api.client.get("/v1/agents", headers=api.auth()).status_code == 200

    limited = api.client.get("/v1/agents", headers=api.auth())

    assert_problem(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "2"
    assert api.client.get("/v1/agents", headers=api.auth(api.other_key)).status_code == 200


def test_a_live_key_sent_as_a_test_key_is_refused(api: ApiHarness) -> None:
    body = "sy_test_" + api.key[len("sy_live_") : -6]
    swapped = body + checksum(body)  # well-formed, so the record is read and its mode compared

    assert_problem(api.client.get("/v1/agents", headers=api.auth(swapped)), 401, "invalid_api_key")
