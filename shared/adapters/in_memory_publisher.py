"""InMemoryEventPublisher: the EventPublisher twin that records what was published."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from shared.domain.messages import RunMessage
from shared.ports.event_publisher import EventPublisher


@dataclass(frozen=True)
class PublishedMessage:
    """One message as a subscriber would receive it.

    Attributes:
        topic: Topic id.
        data: Message data (the payload's JSON for :meth:`EventPublisher.publish`).
        attributes: String attributes.
        message_id: The id :meth:`InMemoryEventPublisher.publish` returned.
    """

    topic: str
    data: bytes
    attributes: dict[str, str]
    message_id: str


class InMemoryEventPublisher(EventPublisher):
    """Keeps every published message in :attr:`published`, oldest first, for assertions.

    Message ids are ``"1"``, ``"2"``, ... in publishing order (Pub/Sub's are opaque strings),
    distinct also when threads publish at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.published: list[PublishedMessage] = []

    def publish(self, topic: str, message: RunMessage, attributes: Mapping[str, str]) -> str:
        """See :meth:`EventPublisher.publish`; encodes the data as the Pub/Sub adapter does."""
        return self.publish_raw(topic, message.model_dump_json().encode(), attributes)

    def publish_raw(self, topic: str, data: bytes, attributes: Mapping[str, str]) -> str:
        """See :meth:`EventPublisher.publish_raw`."""
        with self._lock:
            message_id = str(len(self.published) + 1)
            self.published.append(PublishedMessage(topic, data, dict(attributes), message_id))
        return message_id
