"""The HTTP request of a Cloud Tasks attempt and how its outcome is classified."""

from __future__ import annotations

from datetime import timedelta

import grpc
import httpx
import jwt
import pytest
from google.cloud import tasks_v2

from emulators.cloud_tasks import delivery
from emulators.grpc_service import RpcError

TASK_NAME = "projects/p/locations/l/queues/tool-http-fetch/tasks/call-1"
NOW = 1_700_000_000.0


def http_task(**request: object) -> tasks_v2.Task:
    fields: dict[str, object] = {"url": "https://executor.example/tasks/tool-call"}
    fields.update(request)
    return tasks_v2.Task(name=TASK_NAME, http_request=tasks_v2.HttpRequest(**fields))


def headers_of(dispatch: delivery.Dispatch) -> dict[str, str]:
    return {key.lower(): value for key, value in dispatch.headers}


def test_prepare_sends_method_body_and_the_documented_cloud_tasks_headers() -> None:
    task = http_task(
        http_method=tasks_v2.HttpMethod.PUT,
        body=b'{"step": 1}',
        headers={"Content-Type": "application/json", "X-CloudTasks-TaskName": "spoofed"},
    )

    dispatch = delivery.prepare(
        task, eta_s=NOW, retry_count=2, execution_count=1, previous_response=500, now=NOW
    )

    assert (dispatch.method, dispatch.url, dispatch.body) == (
        "PUT",
        "https://executor.example/tasks/tool-call",
        b'{"step": 1}',
    )
    assert headers_of(dispatch) == {
        "content-type": "application/json",
        "user-agent": "Google-Cloud-Tasks",
        "x-cloudtasks-queuename": "tool-http-fetch",
        "x-cloudtasks-taskname": "call-1",
        "x-cloudtasks-taskretrycount": "2",
        "x-cloudtasks-taskexecutioncount": "1",
        "x-cloudtasks-tasketa": "1700000000.000000",
        "x-cloudtasks-taskpreviousresponse": "500",
    }
    assert dispatch.deadline_s == delivery.DEFAULT_DEADLINE_S == 600.0


def test_prepare_defaults_to_post() -> None:
    dispatch = delivery.prepare(http_task(), NOW, 0, 0, None, NOW)

    assert dispatch.method == "POST"
    assert "x-cloudtasks-taskpreviousresponse" not in headers_of(dispatch)


@pytest.mark.parametrize(
    ("audience", "expected_aud"),
    [("https://executor.example", "https://executor.example"), ("", None)],
)
def test_oidc_token_is_an_unsigned_jwt_for_the_audience_or_the_url(
    audience: str, expected_aud: str | None
) -> None:
    task = http_task(
        headers={"Authorization": "Bearer caller-supplied"},
        oidc_token=tasks_v2.OidcToken(
            service_account_email="tasks@demo.iam.gserviceaccount.com", audience=audience
        ),
    )

    token = headers_of(delivery.prepare(task, NOW, 0, 0, None, NOW))["authorization"]

    assert token.startswith("Bearer ")
    jwt_text = token.removeprefix("Bearer ")
    assert jwt.get_unverified_header(jwt_text)["alg"] == "none"
    claims = jwt.decode(jwt_text, options={"verify_signature": False})
    assert claims["aud"] == (expected_aud or task.http_request.url)
    assert claims["email"] == "tasks@demo.iam.gserviceaccount.com"
    assert claims["exp"] - claims["iat"] == 3600


@pytest.mark.parametrize(
    ("task", "code"),
    [
        (tasks_v2.Task(name=TASK_NAME), grpc.StatusCode.INVALID_ARGUMENT),
        (http_task(url="ftp://x"), grpc.StatusCode.INVALID_ARGUMENT),
        (
            http_task(http_method=tasks_v2.HttpMethod.GET, body=b"x"),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            tasks_v2.Task(
                http_request=tasks_v2.HttpRequest(url="http://x"),
                dispatch_deadline=timedelta(seconds=14),
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        ),
        (
            tasks_v2.Task(app_engine_http_request=tasks_v2.AppEngineHttpRequest(relative_uri="/")),
            grpc.StatusCode.UNIMPLEMENTED,
        ),
    ],
)
def test_tasks_google_refuses_are_refused(task: tasks_v2.Task, code: grpc.StatusCode) -> None:
    with pytest.raises(RpcError) as caught:
        delivery.validated_deadline_s(task)

    assert caught.value.code == code


def test_deadline_bounds_are_googles() -> None:
    task = http_task()
    task.dispatch_deadline = timedelta(minutes=30)

    assert delivery.validated_deadline_s(task) == 1800.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("3", 3.0),
        ("Tue, 14 Nov 2023 22:13:30 GMT", 10.0),  # NOW + 10 s
        ("Tue, 14 Nov 2023 22:13:00 GMT", 0.0),  # in the past
        ("soon", None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(header: str | None, expected: float) -> None:
    assert delivery.retry_after_s(header, NOW) == expected


def outcome_for(respond: httpx.MockTransport) -> delivery.Outcome:
    dispatch = delivery.prepare(http_task(), NOW, 0, 0, None, NOW)
    with httpx.Client(transport=respond) as client:
        return delivery.send(client, dispatch, lambda: NOW)


def test_send_classifies_responses() -> None:
    ok = outcome_for(httpx.MockTransport(lambda request: httpx.Response(204)))
    busy = outcome_for(
        httpx.MockTransport(lambda request: httpx.Response(503, headers={"Retry-After": "2"}))
    )
    broken = outcome_for(
        httpx.MockTransport(lambda request: httpx.Response(500, headers={"Retry-After": "2"}))
    )
    missing = outcome_for(httpx.MockTransport(lambda request: httpx.Response(404)))

    assert (ok.succeeded, ok.rpc_code) == (True, grpc.StatusCode.OK)
    assert (busy.succeeded, busy.rpc_code, busy.retry_after_s) == (
        False,
        grpc.StatusCode.UNAVAILABLE,
        2.0,
    )
    assert (broken.status_code, broken.retry_after_s) == (500, None)  # only 429/503 count
    assert missing.rpc_code == grpc.StatusCode.NOT_FOUND


def test_send_turns_transport_errors_into_retryable_outcomes() -> None:
    def time_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    late = outcome_for(httpx.MockTransport(time_out))
    down = outcome_for(httpx.MockTransport(refuse))

    assert (late.status_code, late.rpc_code, late.succeeded) == (
        None,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        False,
    )
    assert (down.status_code, down.rpc_code) == (None, grpc.StatusCode.UNAVAILABLE)
