"""The local provisioner: creates every topic, subscription, queue, bucket and platform job.

The names, limits and policies come from :mod:`shared.resources`, the module Terraform is
checked against, so the local stack and Google Cloud are built from the same declarations. It
talks to the emulators through the same Google client libraries as the application, and is
idempotent: what exists already is left as it is (queues are updated to the declared limits).

Run: ``python -m emulators.provision --endpoint executor=http://127.0.0.1:8081 ...`` with the
stack's environment.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Mapping

from google.api_core import exceptions
from google.cloud import tasks_v2
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient
from google.cloud.storage import Client as StorageClient
from google.protobuf import duration_pb2, field_mask_pb2

from shared import resources
from shared.adapters.cloud_scheduler import CloudScheduler
from shared.domain.messages import SweepTick
from shared.domain.triggers import ScheduledJob
from shared.gcp_clients import cloud_tasks_client
from shared.settings import Settings

logger = logging.getLogger(__name__)


def provision_pubsub(project_id: str, push_endpoints: Mapping[str, str]) -> None:
    """Create the pipeline topics, their push subscriptions and dead-letter topics.

    Args:
        project_id: Project the resources belong to.
        push_endpoints: Consumer name (``preflight``, ``executor``, ...) to the base URL its
            pushes go to. A consumer without an endpoint gets a pull subscription.
    """
    publisher = PublisherClient()
    subscriber = SubscriberClient()

    def ensure_topic(name: str) -> str:
        path = publisher.topic_path(project_id, name)
        with contextlib.suppress(exceptions.AlreadyExists):
            publisher.create_topic(name=path)
        return path

    def ensure_subscription(request: dict[str, object]) -> None:
        with contextlib.suppress(exceptions.AlreadyExists):
            subscriber.create_subscription(request=request)

    for topic in resources.PIPELINE_TOPICS:
        ensure_topic(topic)
    ensure_subscription(
        {
            "name": subscriber.subscription_path(
                project_id, resources.TASK_DEAD_LETTER_SUBSCRIPTION
            ),
            "topic": ensure_topic(resources.TASK_DEAD_LETTER_TOPIC),
        }
    )
    for sub in resources.SUBSCRIPTIONS:
        dead_letter_topic = ensure_topic(sub.dead_letter_topic)
        ensure_subscription(
            {
                "name": subscriber.subscription_path(project_id, sub.dead_letter_subscription),
                "topic": dead_letter_topic,
            }
        )
        endpoint = push_endpoints.get(sub.consumer)
        ensure_subscription(
            {
                "name": subscriber.subscription_path(project_id, sub.name),
                "topic": publisher.topic_path(project_id, sub.topic),
                "push_config": {"push_endpoint": endpoint.rstrip("/") + sub.push_path}
                if endpoint
                else None,
                "ack_deadline_seconds": sub.ack_deadline_s,
                "dead_letter_policy": {
                    "dead_letter_topic": dead_letter_topic,
                    "max_delivery_attempts": sub.max_delivery_attempts,
                },
                "retry_policy": {
                    "minimum_backoff": duration_pb2.Duration(seconds=sub.min_backoff_s),
                    "maximum_backoff": duration_pb2.Duration(seconds=sub.max_backoff_s),
                },
            }
        )


def queue_message(parent: str, queue: resources.Queue) -> tasks_v2.Queue:
    """The Cloud Tasks ``Queue`` message declared by ``queue`` under ``parent``."""
    return tasks_v2.Queue(
        name=f"{parent}/queues/{queue.name}",
        rate_limits=tasks_v2.RateLimits(
            max_dispatches_per_second=queue.max_dispatches_per_second,
            max_concurrent_dispatches=queue.max_concurrent_dispatches,
        ),
        retry_config=tasks_v2.RetryConfig(
            max_attempts=queue.max_attempts,
            min_backoff=duration_pb2.Duration(seconds=int(queue.min_backoff_s)),
            max_backoff=duration_pb2.Duration(seconds=int(queue.max_backoff_s)),
            max_doublings=queue.max_doublings,
        ),
    )


def provision_queues(settings: Settings) -> None:
    """Create (or update to the declared limits) every Cloud Tasks queue."""
    client = cloud_tasks_client(settings)
    parent = client.common_location_path(settings.project_id, settings.region)
    for queue in resources.QUEUES:
        message = queue_message(parent, queue)
        try:
            client.create_queue(parent=parent, queue=message)
        except exceptions.AlreadyExists:
            mask = field_mask_pb2.FieldMask(paths=["rate_limits", "retry_config"])
            client.update_queue(queue=message, update_mask=mask)


def provision_buckets(project_id: str) -> None:
    """Create the traces and artifacts buckets."""
    client = StorageClient(project=project_id)
    for suffix in resources.BUCKET_SUFFIXES:
        with contextlib.suppress(exceptions.Conflict):
            client.create_bucket(resources.bucket_name(project_id, suffix))


def sweep_job() -> ScheduledJob:
    """The Cloud Scheduler job that requests a sweep every minute (Terraform declares the same,
    ``google_cloud_scheduler_job.sweep``)."""
    return ScheduledJob(
        job_id=resources.SWEEP_JOB_ID,
        schedule=resources.SWEEP_SCHEDULE,
        time_zone=resources.SWEEP_TIME_ZONE,
        topic=resources.SWEEP_REQUESTED,
        data=SweepTick().model_dump_json(),
        description="Switchyard: move again, or fail, the runs that stopped moving.",
    )


def provision(settings: Settings, push_endpoints: Mapping[str, str]) -> None:
    """Create every resource of the local stack; see the module docstring."""
    provision_pubsub(settings.project_id, push_endpoints)
    provision_queues(settings)
    provision_buckets(settings.project_id)
    CloudScheduler(settings).put_job(sweep_job())


def main() -> None:
    """Command line: ``--endpoint consumer=url`` (repeatable)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", action="append", default=[], metavar="CONSUMER=URL")
    args = parser.parse_args()
    endpoints = dict(item.split("=", 1) for item in args.endpoint)
    settings = Settings()
    if not settings.uses_emulators:
        parser.error("refusing to provision: no emulator is configured in the environment")
    logging.basicConfig(level=logging.INFO)
    provision(settings, endpoints)
    logger.info("provisioned the local stack for project %s", settings.project_id)


if __name__ == "__main__":
    main()
