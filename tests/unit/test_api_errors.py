"""Authentication, problem+json for every error, health, and how the app gets its dependencies."""

from __future__ import annotations

import dataclasses
import logging
from typing import NoReturn

import pytest
from flask import Flask

import cloudrun.api.context
from cloudrun.api import create_app
from shared.adapters.in_memory_secret_store import InMemorySecretStore
from shared.auth.api_keys import parse_api_key
from shared.auth.onboarding import create_org_with_key
from shared.composition import Dependencies
from shared.errors import RateLimitedError, TransientError
from tests.unit.api_harness import (
    ApiHarness,
    assert_problem,
    in_memory_dependencies,
    make_harness,
)


@pytest.fixture
def api() -> ApiHarness:
    return make_harness()


def test_healthz_answers_without_a_key(api: ApiHarness) -> None:
    response = api.client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/nope", "/v1/nope", "/v1/agents/a/b/c"])
def test_an_unknown_route_is_a_404_problem(api: ApiHarness, path: str) -> None:
    body = assert_problem(api.client.get(path, headers=api.auth()), 404, "not_found")

    assert body["title"] == "Not Found"


def test_a_wrong_method_is_a_405_problem_with_allow(api: ApiHarness) -> None:
    response = api.client.delete("/v1/agents", headers=api.auth())

    assert_problem(response, 405, "method_not_allowed")
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_a_request_without_a_key_is_401_with_a_bearer_challenge(api: ApiHarness) -> None:
    response = api.client.get("/v1/agents")

    assert_problem(response, 401, "missing_api_key")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        ("Basic dXNlcjpwYXNz", "missing_api_key"),
        ("Bearer", "missing_api_key"),
        ("Bearer not-a-key", "invalid_api_key"),
        ("Bearer sy_live_0123456789abcdef_" + "a" * 43, "invalid_api_key"),
    ],
)
def test_a_bad_key_is_401(api: ApiHarness, authorization: str, code: str) -> None:
    response = api.client.get("/v1/agents", headers={"Authorization": authorization})

    assert_problem(response, 401, code)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_key_with_the_wrong_secret_is_401(api: ApiHarness) -> None:
    key_id, _ = parse_api_key(api.key)
    wrong = f"sy_live_{key_id}_{'A' * 43}"

    assert_problem(api.client.get("/v1/agents", headers=api.auth(wrong)), 401, "invalid_api_key")


def test_the_bearer_scheme_is_case_insensitive(api: ApiHarness) -> None:
    response = api.client.get("/v1/agents", headers={"Authorization": f"bearer {api.key}"})

    assert response.status_code == 200


def test_an_unexpected_error_is_a_generic_500_and_is_logged(
    api: ApiHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> NoReturn:
        raise RuntimeError("db password=hunter2")

    monkeypatch.setattr(api.deps.agents, "list_agents", broken)

    with caplog.at_level(logging.ERROR):
        response = api.client.get("/v1/agents", headers=api.auth())

    body = assert_problem(response, 500, "internal")
    assert "hunter2" not in response.get_data(as_text=True)
    assert body["detail"] == "an unexpected error occurred"
    assert "GET /v1/agents" in caplog.text
    assert "RuntimeError: db password=hunter2" in caplog.text  # logged, with its traceback


@pytest.mark.parametrize(
    ("error", "status", "retry_after"),
    [
        (TransientError("firestore_unavailable", "try later"), 503, "5"),
        (RateLimitedError("too_many_requests", "slow down", retry_after_s=2.5), 429, "3"),
    ],
)
def test_transient_errors_tell_the_client_when_to_retry(
    api: ApiHarness,
    monkeypatch: pytest.MonkeyPatch,
    error: TransientError,
    status: int,
    retry_after: str,
) -> None:
    def unavailable(*_args: object, **_kwargs: object) -> NoReturn:
        raise error

    monkeypatch.setattr(api.deps.agents, "list_agents", unavailable)

    response = api.client.get("/v1/agents", headers=api.auth())

    body = assert_problem(response, status, error.code)
    assert response.headers["Retry-After"] == retry_after
    assert body["detail"] == error.message


def test_keys_cannot_be_checked_without_the_pepper_and_the_api_says_so() -> None:
    deps = in_memory_dependencies()
    _, key = create_org_with_key(deps, "Acme")
    app = create_app(dataclasses.replace(deps, secrets=InMemorySecretStore()), {"TESTING": True})

    response = app.test_client().get("/v1/agents", headers={"Authorization": f"Bearer {key}"})

    assert_problem(response, 503, "api_keys_unavailable")
    assert response.headers["Retry-After"]


def test_dependencies_are_built_on_the_first_request_that_needs_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deps = in_memory_dependencies()
    _, key = create_org_with_key(deps, "Acme")
    builds: list[Dependencies] = []

    def get_dependencies() -> Dependencies:
        builds.append(deps)
        return deps

    monkeypatch.setattr(cloudrun.api.context, "get_dependencies", get_dependencies)
    app = create_app()
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert builds == []

    for _ in range(2):
        assert (
            client.get("/v1/agents", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        )
    assert len(builds) == 1


def test_the_gunicorn_entry_point_is_a_flask_app() -> None:
    from cloudrun.api.main import app

    assert isinstance(app, Flask)
    assert app.test_client().get("/healthz").status_code == 200
