"""EventPublisher: announce that a run moved, on a pipeline topic."""

from __future__ import annotations

import abc
from collections.abc import Mapping

from shared.domain.messages import RunMessage


class EventPublisher(abc.ABC):
    """Publishes pipeline messages (Pub/Sub in production)."""

    @abc.abstractmethod
    def publish(self, topic: str, message: RunMessage, attributes: Mapping[str, str]) -> str:
        """Publish ``message`` with ``attributes`` on ``topic`` and wait until it is accepted.

        Args:
            topic: Topic id from :mod:`shared.resources`, such as ``"run-approved"``.
            message: The payload.
            attributes: String attributes (``event_type``, ``org_id``, ``agent_id``).

        Returns:
            The message id the broker assigned.

        Raises:
            TransientError: The broker did not accept the message in time.
        """

    @abc.abstractmethod
    def publish_raw(self, topic: str, data: bytes, attributes: Mapping[str, str]) -> str:
        """Publish undecoded bytes, as when forwarding a malformed message to a dead-letter topic.

        Raises:
            TransientError: The broker did not accept the message in time.
        """
