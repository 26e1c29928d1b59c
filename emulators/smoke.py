"""Show the local stack healthy: one real call to every emulated service, through Google's clients.

``make demo`` runs this inside a fresh stack until the run pipeline exists. Each check prints what
it did and how long it took; the exit code is 1 when any check fails.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable

from google.cloud import firestore, scheduler_v1, secretmanager
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient
from google.cloud.storage import Client as StorageClient

from emulators.vertex.admin_client import register_script
from emulators.vertex.script import Script
from shared import resources
from shared.gcp_clients import (
    cloud_tasks_client,
    genai_client,
    scheduler_client,
    secret_manager_client,
)
from shared.settings import Settings


def _suffix() -> str:
    return uuid.uuid4().hex[:8]


def check_pubsub(settings: Settings) -> str:
    publisher, subscriber = PublisherClient(), SubscriberClient()
    topic = publisher.topic_path(settings.project_id, f"smoke-{_suffix()}")
    publisher.create_topic(name=topic)
    subscription = subscriber.subscription_path(settings.project_id, topic.rsplit("/", 1)[1])
    subscriber.create_subscription(name=subscription, topic=topic)
    publisher.publish(topic, b"hello").result(timeout=10)
    pulled = subscriber.pull(subscription=subscription, max_messages=1, timeout=10)
    return f"published and pulled {len(pulled.received_messages)} message(s)"


def check_firestore(settings: Settings) -> str:
    ref = firestore.Client(project=settings.project_id).collection("stack_checks").document()
    ref.set({"checked_at": firestore.SERVER_TIMESTAMP})
    return f"wrote and read stack_checks/{ref.id}: {sorted(ref.get().to_dict() or {})}"


def check_storage(settings: Settings) -> str:
    name = resources.bucket_name(settings.project_id, resources.TRACES_BUCKET_SUFFIX)
    blob = StorageClient(project=settings.project_id).bucket(name).blob(f"smoke/{_suffix()}.txt")
    blob.upload_from_string(b"hello")
    return f"gs://{name}/{blob.name}: {len(blob.download_as_bytes())} bytes back"


def check_cloud_tasks(settings: Settings) -> str:
    client = cloud_tasks_client(settings)
    parent = client.common_location_path(settings.project_id, settings.region)
    queues = [
        f"{q.name.rsplit('/', 1)[1]} ({q.rate_limits.max_dispatches_per_second:g}/s)"
        for q in client.list_queues(parent=parent)
    ]
    return "queues: " + ", ".join(queues)


def check_secret_manager(settings: Settings) -> str:
    client = secret_manager_client(settings)
    secret = client.create_secret(
        parent=f"projects/{settings.project_id}",
        secret_id=f"smoke-{_suffix()}",
        secret=secretmanager.Secret(
            replication=secretmanager.Replication(automatic=secretmanager.Replication.Automatic())
        ),
    )
    client.add_secret_version(
        parent=secret.name, payload=secretmanager.SecretPayload(data=b"s3cret")
    )
    value = client.access_secret_version(name=f"{secret.name}/versions/latest").payload.data
    return f"stored and read back a {len(value)}-byte secret version"


def check_scheduler(settings: Settings) -> str:
    publisher, subscriber = PublisherClient(), SubscriberClient()
    topic = publisher.topic_path(settings.project_id, f"smoke-cron-{_suffix()}")
    publisher.create_topic(name=topic)
    subscription = subscriber.subscription_path(settings.project_id, topic.rsplit("/", 1)[1])
    subscriber.create_subscription(name=subscription, topic=topic)
    client = scheduler_client(settings)
    job = client.create_job(
        parent=f"projects/{settings.project_id}/locations/{settings.region}",
        job=scheduler_v1.Job(
            schedule="0 */6 * * *",
            time_zone="Europe/Berlin",
            pubsub_target=scheduler_v1.PubsubTarget(topic_name=topic, data=b"tick"),
        ),
    )
    client.run_job(name=job.name)
    pulled = subscriber.pull(subscription=subscription, max_messages=1, timeout=10)
    client.delete_job(name=job.name)
    return f"job ran now into Pub/Sub: {len(pulled.received_messages)} message(s)"


def check_vertex(settings: Settings) -> str:
    assert settings.vertex_base_url, "SWITCHYARD_VERTEX_BASE_URL is not set"
    label = _suffix()
    register_script(
        settings.vertex_base_url,
        Script.model_validate(
            {"script": f"smoke-{label}", "match": {"smoke": label}, "turns": [{"text": "pong"}]}
        ),
    )
    response = genai_client(settings).models.generate_content(
        model="gemini-2.5-flash", contents="ping", config={"labels": {"smoke": label}}
    )
    return f"gemini-2.5-flash answered {response.text!r} (scripted)"


CHECKS: tuple[tuple[str, Callable[[Settings], str]], ...] = (
    ("Pub/Sub", check_pubsub),
    ("Firestore", check_firestore),
    ("Cloud Storage", check_storage),
    ("Cloud Tasks", check_cloud_tasks),
    ("Secret Manager", check_secret_manager),
    ("Cloud Scheduler", check_scheduler),
    ("Vertex AI Gemini", check_vertex),
)


def main() -> int:
    """Run every check; print one line each; 0 when all pass, else 1."""
    settings = Settings()
    failed = 0
    print(f"local stack for project {settings.project_id}")
    for name, check in CHECKS:
        started = time.monotonic()
        try:
            detail, mark = check(settings), "ok  "
        except Exception as error:  # a failing service must not hide the others
            detail, mark, failed = f"{type(error).__name__}: {error}", "FAIL", failed + 1
        print(f"  {mark} {name:17} {(time.monotonic() - started) * 1000:7.0f} ms  {detail}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
