"""The emulators' own floors: Cloud Tasks rate accuracy and Pub/Sub publish-to-push latency.

* Rate limiting: a queue limited to 2, 10 and 50 dispatches a second (``max_concurrent_dispatches``
  100, so the rate is the only limit), filled while paused and then resumed; the receiver times
  every arrival. Observed ÷ configured rate after the burst, and the largest burst seen ÷ the
  burst the emulator allows: Cloud Tasks picks ``max_burst_size`` itself, and the emulator's
  rule is ``ceil(rate)`` (:func:`emulators.cloud_tasks.policy.burst_size_for`).
* Pub/Sub publish → push arrival at a loopback receiver, the floor of each pipeline hop.
"""

from __future__ import annotations

import math
import time
import uuid

from google.cloud import tasks_v2
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

from benchmarks.report import Figure
from benchmarks.stats import largest_burst, steady_rate
from emulators.cloud_tasks.policy import burst_size_for
from emulators.http_receiver import HttpReceiver, serve
from shared.gcp_clients import cloud_tasks_client
from shared.settings import Settings

SECTION = "Rate limiting"
RATES_PER_S = (2.0, 10.0, 50.0)


def task_arrivals(settings: Settings, rate: float, seconds: float) -> list[float]:
    """Arrival times (``time.monotonic`` seconds) of the tasks of a queue limited to ``rate``.

    The queue gets its burst plus ``seconds`` worth of tasks at ``rate``.

    Raises:
        RuntimeError: When not every task arrived within two minutes.
    """
    count = burst_size_for(rate) + math.ceil(rate * seconds)
    client = cloud_tasks_client(settings)
    parent = client.common_location_path(settings.project_id, settings.region)
    queue = client.create_queue(
        parent=parent,
        queue=tasks_v2.Queue(
            name=f"{parent}/queues/bench-rate-{uuid.uuid4().hex[:8]}",
            rate_limits=tasks_v2.RateLimits(
                max_dispatches_per_second=rate, max_concurrent_dispatches=100
            ),
        ),
    )
    client.pause_queue(name=queue.name)  # enqueue everything first, then release at once
    with serve(HttpReceiver()) as receiver:
        for _ in range(count):
            client.create_task(
                parent=queue.name,
                task=tasks_v2.Task(
                    http_request=tasks_v2.HttpRequest(
                        url=f"{receiver.url}/task", http_method=tasks_v2.HttpMethod.POST
                    )
                ),
            )
        client.resume_queue(name=queue.name)
        arrivals = [r.received_at for r in receiver.wait_for(count, 120)]
    client.delete_queue(name=queue.name)
    if len(arrivals) < count:
        raise RuntimeError(f"only {len(arrivals)} of {count} tasks arrived")
    return arrivals


def rate_figures(settings: Settings, seconds: float) -> list[Figure]:
    """Observed ÷ configured rate, and largest burst ÷ ``ceil(rate)``, at :data:`RATES_PER_S`."""
    rows = []
    for rate in RATES_PER_S:
        arrivals = task_arrivals(settings, rate, seconds)
        burst = largest_burst(arrivals, rate)
        rows += [
            Figure(SECTION, f"queue @ {rate:g}/s: dispatches/s beyond the burst",
                   steady_rate(arrivals, burst), "/s", "configured rate", rate),
            Figure(SECTION, f"queue @ {rate:g}/s: largest burst", burst, "tasks",
                   "ceil(rate), the emulator's max_burst_size", burst_size_for(rate)),
        ]  # fmt: skip
    return rows


def pubsub_push_latency(settings: Settings, samples: int) -> list[float]:
    """Seconds from publish to push arrival at a loopback receiver, one message at a time."""
    publisher = PublisherClient()
    subscriber = SubscriberClient()
    topic = publisher.topic_path(settings.project_id, f"bench-latency-{uuid.uuid4().hex[:8]}")
    publisher.create_topic(name=topic)
    subscription = subscriber.subscription_path(settings.project_id, topic.rsplit("/", 1)[1])
    latencies = []
    with serve(HttpReceiver()) as receiver:
        subscriber.create_subscription(
            request={
                "name": subscription,
                "topic": topic,
                "push_config": {"push_endpoint": receiver.url},
            }
        )
        for index in range(samples):
            began = time.monotonic()
            publisher.publish(topic, b"ping").result(timeout=10)
            arrived = receiver.wait_for(index + 1, 30)
            if len(arrived) <= index:
                raise RuntimeError(f"push {index} did not arrive within 30 s")
            latencies.append(arrived[index].received_at - began)
        subscriber.delete_subscription(subscription=subscription)
    publisher.delete_topic(topic=topic)
    return latencies
