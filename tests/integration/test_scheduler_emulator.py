"""The Cloud Scheduler emulator, driven through google-cloud-scheduler as the platform uses it.

Needs ``SWITCHYARD_SCHEDULER_EMULATOR_HOST``, and for the cron test ``PUBSUB_EMULATOR_HOST``
(the scheduler emulator must publish to the same Pub/Sub emulator);
``python -m emulators run -- pytest`` sets both. Each test uses its own location, so runs
against a long-lived emulator do not collide. The cron test waits for the next minute, so it
takes up to a minute.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import grpc
import jwt
import pytest
from google.api_core import exceptions
from google.cloud import pubsub_v1, scheduler_v1

from emulators.http_receiver import HttpReceiver, ReceivedRequest, serve
from shared.gcp_clients import scheduler_client
from shared.settings import Settings

Job = scheduler_v1.Job
FAR_FUTURE = "0 0 1 1 *"  # fires only at New Year, so only RunJob makes these jobs run


@pytest.fixture(scope="module")
def client(stack: Settings) -> scheduler_v1.CloudSchedulerClient:
    """A real Cloud Scheduler client on the emulator (``stack`` fails the test without one)."""
    return scheduler_client(stack)


@pytest.fixture
def location(settings: Settings) -> str:
    """A fresh ``projects/<project>/locations/<id>`` parent, empty on every run."""
    return f"projects/{settings.project_id}/locations/test-{uuid.uuid4().hex[:12]}"


def answer_status_path(request: ReceivedRequest) -> tuple[int, dict[str, str], bytes]:
    """Answer ``/status/<code>`` with that status, any other path with 200."""
    _, _, code = request.path.rpartition("/status/")
    return int(code) if code.isdigit() else 200, {}, b""


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    """A recording HTTP server on 127.0.0.1, answering as :func:`answer_status_path` does."""
    with serve(HttpReceiver(responder=answer_status_path)) as server:
        yield server


def first_request(receiver: HttpReceiver, timeout_s: float = 10) -> ReceivedRequest:
    """The first request ``receiver`` answered; fails after ``timeout_s`` seconds without one."""
    answered = receiver.wait_for(1, timeout_s)
    assert answered, f"no request reached the receiver within {timeout_s} s"
    return answered[0]


def http_job(location: str, job_id: str, uri: str, **http_target: object) -> Job:
    return Job(
        name=f"{location}/jobs/{job_id}",
        schedule=FAR_FUTURE,
        time_zone="Europe/Berlin",
        http_target={"uri": uri, **http_target},
    )


def wait_for_status(client: scheduler_v1.CloudSchedulerClient, name: str) -> Job:
    """Poll until the job records the outcome of an attempt (10 s at most)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        job = client.get_job(name=name)
        if "status" in job:
            return job
        time.sleep(0.05)
    pytest.fail(f"job {name} recorded no attempt within 10 s")


def test_crud(client: scheduler_v1.CloudSchedulerClient, location: str) -> None:
    before = datetime.now().astimezone()
    created = client.create_job(
        parent=location, job=http_job(location, "digest", "http://127.0.0.1:9/digest")
    )
    client.create_job(parent=location, job=http_job(location, "report", "http://127.0.0.1:9/r"))

    assert created.state == Job.State.ENABLED
    assert created.schedule_time > before
    assert (created.schedule_time.second, created.schedule_time.microsecond) == (0, 0)
    assert client.get_job(name=created.name) == created
    pages = list(client.list_jobs(request={"parent": location, "page_size": 1}).pages)
    assert [[j.name.rsplit("/", 1)[1] for j in page.jobs] for page in pages] == [
        ["digest"],
        ["report"],
    ]

    updated = client.update_job(
        job=Job(name=created.name, schedule="*/5 * * * *", description="every five minutes"),
        update_mask={"paths": ["schedule", "description"]},
    )

    assert (updated.schedule, updated.description) == ("*/5 * * * *", "every five minutes")
    assert updated.http_target.uri == "http://127.0.0.1:9/digest"
    assert updated.schedule_time.minute % 5 == 0
    client.delete_job(name=created.name)
    with pytest.raises(exceptions.NotFound):
        client.get_job(name=created.name)
    with pytest.raises(exceptions.NotFound):
        client.delete_job(name=created.name)
    assert [j.name for j in client.list_jobs(parent=location)] == [f"{location}/jobs/report"]


def test_create_refuses_duplicates_and_invalid_jobs(
    client: scheduler_v1.CloudSchedulerClient, location: str
) -> None:
    job = http_job(location, "once", "http://127.0.0.1:9/")
    client.create_job(parent=location, job=job)

    with pytest.raises(exceptions.AlreadyExists):
        client.create_job(parent=location, job=job)
    with pytest.raises(exceptions.InvalidArgument):
        client.create_job(
            parent=location, job=Job(http_job(location, "bad", "http://x/"), schedule="0 25 * * *")
        )
    with pytest.raises(exceptions.InvalidArgument):
        client.create_job(
            parent=location, job=Job(http_job(location, "bad", "http://x/"), time_zone="Moon/Base")
        )


def test_pause_and_resume(client: scheduler_v1.CloudSchedulerClient, location: str) -> None:
    name = client.create_job(
        parent=location, job=http_job(location, "p", "http://127.0.0.1:9/")
    ).name

    paused = client.pause_job(name=name)

    assert paused.state == Job.State.PAUSED
    with pytest.raises(exceptions.FailedPrecondition):
        client.pause_job(name=name)
    resumed = client.resume_job(name=name)
    assert resumed.state == Job.State.ENABLED
    assert resumed.schedule_time > datetime.now().astimezone()
    with pytest.raises(exceptions.FailedPrecondition):
        client.resume_job(name=name)
    with pytest.raises(exceptions.NotFound):
        client.pause_job(name=f"{location}/jobs/missing")


def test_run_job_sends_the_http_request_with_an_oidc_token(
    client: scheduler_v1.CloudSchedulerClient, location: str, receiver: HttpReceiver
) -> None:
    uri = f"{receiver.url}/tick?agent=a1"
    job = http_job(
        location,
        "tick",
        uri,
        http_method=scheduler_v1.HttpMethod.PUT,
        headers={"Content-Type": "application/json", "X-Trace": "t-1"},
        body=b'{"agent_id": "a1"}',
        oidc_token={"service_account_email": "scheduler@demo.iam.gserviceaccount.com"},
    )
    name = client.create_job(parent=location, job=job).name

    client.run_job(name=name)
    request = first_request(receiver)

    assert (request.method, request.path, request.body) == (
        "PUT",
        "/tick?agent=a1",
        job.http_target.body,
    )
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-trace"] == "t-1"
    assert request.headers["user-agent"] == "Google-Cloud-Scheduler"
    assert request.headers["x-cloudscheduler"] == "true"
    assert request.headers["x-cloudscheduler-jobname"] == "tick"
    scheme, _, token = request.headers["authorization"].partition(" ")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert scheme == "Bearer"
    assert claims["aud"] == uri  # Google's default audience is the target URI
    assert claims["email"] == "scheduler@demo.iam.gserviceaccount.com"
    finished = wait_for_status(client, name)
    assert finished.status.code == grpc.StatusCode.OK.value[0]
    assert "last_attempt_time" in finished


def test_failed_http_attempt_is_recorded_in_the_status(
    client: scheduler_v1.CloudSchedulerClient, location: str, receiver: HttpReceiver
) -> None:
    name = client.create_job(
        parent=location, job=http_job(location, "flaky", f"{receiver.url}/status/503")
    ).name

    client.run_job(name=name)

    assert first_request(receiver).method == "POST"  # the default method
    assert wait_for_status(client, name).status.code == grpc.StatusCode.UNAVAILABLE.value[0]


@pytest.fixture
def topic(stack: Settings) -> Iterator[tuple[str, str]]:
    """A Pub/Sub topic and a pull subscription on it, on the Pub/Sub emulator."""
    settings = stack
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    suffix = uuid.uuid4().hex[:12]
    topic_name = publisher.topic_path(settings.project_id, f"cron-{suffix}")
    subscription = subscriber.subscription_path(settings.project_id, f"cron-{suffix}--test")
    publisher.create_topic(name=topic_name)
    subscriber.create_subscription(name=subscription, topic=topic_name)
    yield topic_name, subscription
    subscriber.delete_subscription(subscription=subscription)
    publisher.delete_topic(topic=topic_name)
    subscriber.close()


def pull_one(subscription: str, timeout_s: float) -> pubsub_v1.types.PubsubMessage:
    """The first message on ``subscription`` within ``timeout_s`` seconds, acknowledged."""
    subscriber = pubsub_v1.SubscriberClient()
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            response = subscriber.pull(
                request={"subscription": subscription, "max_messages": 1}, timeout=5
            )
            if response.received_messages:
                received = response.received_messages[0]
                subscriber.acknowledge(subscription=subscription, ack_ids=[received.ack_id])
                return received.message
            time.sleep(0.05)
    finally:
        subscriber.close()
    pytest.fail(f"no message on {subscription} within {timeout_s} s")


def test_cron_job_publishes_on_the_minute_in_its_time_zone(
    client: scheduler_v1.CloudSchedulerClient, location: str, topic: tuple[str, str]
) -> None:
    topic_name, subscription = topic
    attributes = {"event_type": "switchyard.run.requested.v1", "agent_id": "a1"}
    job = Job(
        name=f"{location}/jobs/every-minute",
        schedule="* * * * *",
        time_zone="Asia/Kathmandu",  # UTC+05:45: minutes still start on the UTC minute
        pubsub_target={
            "topic_name": topic_name,
            "data": b'{"agent_id": "a1"}',
            "attributes": attributes,
        },
    )
    created = client.create_job(parent=location, job=job)
    try:
        message = pull_one(subscription, timeout_s=70)
        job_after = wait_for_status(client, created.name)
    finally:
        client.delete_job(name=created.name)

    published = message.publish_time
    minute = published.replace(second=0, microsecond=0)
    assert message.data == job.pubsub_target.data
    assert dict(message.attributes) == attributes
    assert minute == created.schedule_time
    assert published - minute < timedelta(seconds=1)
    assert job_after.status.code == grpc.StatusCode.OK.value[0]
    assert job_after.last_attempt_time - minute < timedelta(seconds=1)
    assert job_after.schedule_time == minute + timedelta(minutes=1)
