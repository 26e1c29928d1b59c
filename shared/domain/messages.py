"""Payloads that travel between stages: Pub/Sub messages and Cloud Tasks bodies.

Every payload is one frozen model with ``schema_version``. Pub/Sub messages carry only the run id
in their data; the attributes (``event_type``, ``org_id``, ``agent_id``) let subscribers filter
without decoding. Event types follow ``switchyard.run.<topic fact>.v1``.
"""

from __future__ import annotations

from typing import Literal

from shared import resources
from shared.domain.base import Model


def event_type(topic: str) -> str:
    """The ``event_type`` attribute of messages on ``topic``: ``run-requested`` →
    ``switchyard.run.requested.v1``."""
    return f"switchyard.run.{topic.removeprefix('run-')}.v1"


EVENT_TYPES = {topic: event_type(topic) for topic in resources.PIPELINE_TOPICS}


class RunMessage(Model):
    """The data of every pipeline message: which run moved."""

    schema_version: Literal[1] = 1
    run_id: str


class SweepTick(Model):
    """The data of a ``sweep-requested`` message: nothing but its version (the minute is the
    message's own; :func:`shared.pipeline.sweeper.sweep` reads the clock)."""

    schema_version: Literal[1] = 1


class ModelStepTask(Model):
    """Cloud Task body: take model step ``step`` of run ``run_id``."""

    schema_version: Literal[1] = 1
    run_id: str
    step: int


class ToolCallTask(Model):
    """Cloud Task body: make tool call ``call_index`` of step ``step`` of run ``run_id``."""

    schema_version: Literal[1] = 1
    run_id: str
    step: int
    call_index: int


class WebhookDeliveryTask(Model):
    """Cloud Task body: deliver run ``run_id``'s output to its ``target_index``-th webhook."""

    schema_version: Literal[1] = 1
    run_id: str
    target_index: int
