"""Benchmark of the local stack: Cloud Tasks rate accuracy and Pub/Sub publish-to-push latency.

Run: ``make bench``, which is ``python -m emulators run -- python benchmarks/local_stack.py``.

Figures, each a ratio against something measured in the same run, because machines are noisy:

* Cloud Tasks rate accuracy: observed ÷ configured dispatches per second, for 50 tasks on queues
  limited to 2, 5 and 10 per second, measured at the receiver after the initial burst.
* Pub/Sub publish-to-push latency: p50 and p95 of publish → push arrival, in milliseconds, and the
  same ÷ a bare HTTP POST round trip to the same receiver over loopback.
"""

from __future__ import annotations

import statistics
import time
import uuid

import httpx
from google.cloud import tasks_v2
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

from emulators.http_receiver import HttpReceiver, serve
from shared.gcp_clients import cloud_tasks_client
from shared.settings import Settings

TASKS_PER_QUEUE = 50
LATENCY_SAMPLES = 50


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (nearest rank), such as 0.95 for p95."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def tasks_rate_accuracy(settings: Settings, rate: float) -> tuple[float, int]:
    """Observed ÷ configured dispatches per second after the burst, and the burst size seen.

    The burst is the count of tasks that arrived within the first ``0.5 / rate`` seconds.
    """
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
        for _ in range(TASKS_PER_QUEUE):
            client.create_task(
                parent=queue.name,
                task=tasks_v2.Task(
                    http_request=tasks_v2.HttpRequest(
                        url=f"{receiver.url}/task", http_method=tasks_v2.HttpMethod.POST
                    )
                ),
            )
        client.resume_queue(name=queue.name)
        arrivals = sorted(r.received_at for r in receiver.wait_for(TASKS_PER_QUEUE, 120))
    client.delete_queue(name=queue.name)
    if len(arrivals) < TASKS_PER_QUEUE:
        raise RuntimeError(f"only {len(arrivals)} of {TASKS_PER_QUEUE} tasks arrived")
    burst = sum(1 for t in arrivals if t - arrivals[0] < 0.5 / rate)
    after_burst = arrivals[burst - 1 :]
    observed = (len(after_burst) - 1) / (after_burst[-1] - after_burst[0])
    return observed / rate, burst


def pubsub_push_latency(settings: Settings) -> tuple[list[float], list[float]]:
    """Publish → push latencies and bare loopback POST latencies, in seconds."""
    publisher = PublisherClient()
    subscriber = SubscriberClient()
    topic = publisher.topic_path(settings.project_id, f"bench-latency-{uuid.uuid4().hex[:8]}")
    publisher.create_topic(name=topic)
    push, bare = [], []
    with serve(HttpReceiver()) as receiver, httpx.Client() as http:
        subscription = subscriber.subscription_path(settings.project_id, topic.rsplit("/", 1)[1])
        subscriber.create_subscription(
            request={
                "name": subscription,
                "topic": topic,
                "push_config": {"push_endpoint": receiver.url},
            }
        )
        for index in range(LATENCY_SAMPLES):
            started = time.monotonic()
            publisher.publish(topic, b"ping").result(timeout=10)
            arrived = receiver.wait_for(index + 1, 30)
            push.append(arrived[-1].received_at - started)
        for _ in range(LATENCY_SAMPLES):
            started = time.monotonic()
            http.post(receiver.url, content=b"ping")
            bare.append(time.monotonic() - started)
        subscriber.delete_subscription(subscription=subscription)
    publisher.delete_topic(topic=topic)
    return push, bare


def row(figure: str, value: float, digits: int = 3) -> None:
    """Print one line of the table."""
    print(f"{figure:56} {value:12.{digits}f}")


def main() -> None:
    """Print the table."""
    settings = Settings()
    print(f"{'figure':56} {'value':>12}")
    for rate in (2.0, 5.0, 10.0):
        ratio, burst = tasks_rate_accuracy(settings, rate)
        row(f"Cloud Tasks observed / configured rate @ {rate:g}/s", ratio)
        row(f"Cloud Tasks burst seen @ {rate:g}/s (tasks)", burst, 0)
    push, bare = pubsub_push_latency(settings)
    for label, share in (("p50", 0.5), ("p95", 0.95)):
        push_ms, bare_ms = percentile(push, share) * 1000, percentile(bare, share) * 1000
        row(f"Pub/Sub publish-to-push {label} (ms)", push_ms, 1)
        row(f"Pub/Sub publish-to-push {label} / bare loopback POST {label}", push_ms / bare_ms, 1)
    row("bare loopback POST median (ms)", statistics.median(bare) * 1000, 2)


if __name__ == "__main__":
    main()
