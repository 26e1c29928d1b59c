"""Drives the whole pipeline on in-memory twins: what Pub/Sub and Cloud Tasks would deliver,
delivered through the same transport mapping the edges use, optionally more than once, and the
copies of a task optionally at the same time."""

from __future__ import annotations

import base64
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from shared import resources
from shared.adapters.in_memory_publisher import InMemoryEventPublisher
from shared.adapters.in_memory_task_queue import EnqueuedTask, InMemoryTaskQueue
from shared.composition import Dependencies
from shared.domain.messages import ModelStepTask, ToolCallTask, WebhookDeliveryTask
from shared.pipeline import alerting, delivery, execution, postgen, preflight
from shared.transport import cloud_tasks, pubsub, scheduled, sweeps
from shared.triggers import chain, cron_intake

STAGES: dict[str, pubsub.StageHandler] = {
    resources.RUN_REQUESTED: preflight.handle_run_requested,
    resources.RUN_APPROVED: execution.start_execution,
    resources.RUN_GENERATED: postgen.handle_run_generated,
    resources.RUN_PASSED: delivery.handle_run_passed,
    resources.RUN_STOPPED: alerting.handle_run_stopped,
    resources.RUN_FINISHED: chain.handle_run_finished,
}
SUBSCRIPTION_OF = {sub.topic: sub for sub in resources.SUBSCRIPTIONS}
TASKS = {
    execution.MODEL_STEP_PATH: (ModelStepTask, execution.take_model_step),
    execution.TOOL_CALL_PATH: (ToolCallTask, execution.make_tool_call),
    delivery.WEBHOOK_DELIVERY_PATH: (WebhookDeliveryTask, delivery.deliver_webhook),
}


# Seconds slept per second of a queue's retry backoff when copies run at the same time: the
# queues' schedule, a hundred times faster.
BACKOFF_SCALE = 0.01


@dataclass
class PipelineDriver:
    """Delivers every published message and enqueued task ``copies`` times, until quiet.

    Attributes:
        deps: Dependencies built on the in-memory twins.
        copies: Deliveries of each message and task (2 or 3 to test at-least-once).
        concurrent: Deliver the copies of every task of a round at the same time, each on its
            own thread (all released at once), as Cloud Tasks may when it retries a task whose
            first copy still runs; each copy's 503s are retried after the queue's backoff
            (scaled by :data:`BACKOFF_SCALE`). Otherwise one after another, retried at once.
        outcomes: Every transport outcome, for assertions.
    """

    deps: Dependencies
    copies: int = 1
    concurrent: bool = False
    outcomes: list[str] = field(default_factory=list)
    _delivered: int = 0

    @property
    def publisher(self) -> InMemoryEventPublisher:
        assert isinstance(self.deps.publisher, InMemoryEventPublisher)
        return self.deps.publisher

    @property
    def queue(self) -> InMemoryTaskQueue:
        assert isinstance(self.deps.tasks, InMemoryTaskQueue)
        return self.deps.tasks

    def run_until_quiet(self, max_rounds: int = 200) -> None:
        """Deliver until nothing new is published or enqueued; fails after ``max_rounds``."""
        for _ in range(max_rounds):
            messages = self.publisher.published[self._delivered :]
            self._delivered += len(messages)
            tasks = self.queue.drain()
            if not messages and not tasks:
                return
            for message in messages:
                if message.topic in STAGES:
                    for _copy in range(self.copies):
                        self._push(message.topic, message.data, message.attributes)
            self._dispatch_all([task for task in tasks for _copy in range(self.copies)])
        raise AssertionError(f"the pipeline did not settle in {max_rounds} rounds")

    def push_raw(self, topic: str, envelope: object) -> str:
        """Deliver an arbitrary push body on ``topic``; returns the outcome."""
        subscription = SUBSCRIPTION_OF[topic]
        if topic == resources.RUN_SCHEDULED:
            handler = cron_intake.handle_scheduled_tick
            outcome = scheduled.process(self.deps, envelope, subscription, handler)
        elif topic == resources.SWEEP_REQUESTED:
            outcome = sweeps.process(self.deps, envelope, subscription)
        else:
            outcome = pubsub.process(self.deps, envelope, subscription, STAGES[topic])
        self.outcomes.append(outcome.value)
        return outcome.value

    def _push(self, topic: str, data: bytes, attributes: dict[str, str]) -> None:
        envelope = {
            "message": {
                "data": base64.b64encode(data).decode(),
                "attributes": attributes,
                "messageId": "1",
            },
            "subscription": f"projects/p/subscriptions/{SUBSCRIPTION_OF[topic].name}",
        }
        self.push_raw(topic, envelope)

    def _dispatch_all(self, copies: list[EnqueuedTask]) -> None:
        if not self.concurrent or len(copies) < 2:
            for task in copies:
                self._dispatch(task, retry_count=0)
            return
        start = threading.Barrier(len(copies))

        def deliver(task: EnqueuedTask) -> None:
            start.wait(timeout=30)
            self._dispatch(task, retry_count=0)

        with ThreadPoolExecutor(max_workers=len(copies)) as pool:
            list(pool.map(deliver, copies))  # raises what a thread raised

    def _backoff(self, queue: resources.Queue, retry_count: int) -> None:
        if self.concurrent:
            doublings = min(retry_count, queue.max_doublings)
            delay_s = min(queue.max_backoff_s, queue.min_backoff_s * 2**doublings)
            time.sleep(delay_s * BACKOFF_SCALE)

    def _dispatch(self, task: EnqueuedTask, retry_count: int) -> None:
        payload_type, handler = TASKS[task.path]
        headers = {
            "X-CloudTasks-QueueName": task.queue,
            "X-CloudTasks-TaskRetryCount": str(retry_count),
        }
        status, _headers = cloud_tasks.process(self.deps, task.body, headers, payload_type, handler)
        self.outcomes.append(str(status))
        if status >= 300:  # retried by the queue, as Cloud Tasks would
            queue = resources.QUEUES_BY_NAME[task.queue]
            if retry_count + 1 < queue.max_attempts:
                self._backoff(queue, retry_count)
                self._dispatch(task, retry_count + 1)
