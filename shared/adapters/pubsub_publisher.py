"""PubSubEventPublisher: pipeline messages on Cloud Pub/Sub.

The message data is the payload's JSON; the attributes travel as Pub/Sub attributes, so push
subscribers and subscription filters read them without decoding the data. The publisher client
batches and retries by itself (Google's default publish retry covers UNAVAILABLE, ABORTED,
DEADLINE_EXCEEDED, ...); this adapter waits for the broker's message id, so a returned call
means the message is stored.
"""

from __future__ import annotations

from collections.abc import Mapping

from google.api_core.exceptions import GoogleAPIError
from google.cloud.pubsub_v1 import PublisherClient

from shared.domain.messages import RunMessage
from shared.errors import TransientError
from shared.ports.event_publisher import EventPublisher
from shared.settings import Settings


class PubSubEventPublisher(EventPublisher):
    """Publishes on the topics of ``settings.project_id``.

    Args:
        settings: Supplies the project id. The Pub/Sub emulator, when one runs, is found by the
            client library itself through ``PUBSUB_EMULATOR_HOST``.
        client: Publisher to use; a new ``PublisherClient`` when None.
        timeout_s: Seconds to wait for the broker to accept a message.
    """

    def __init__(
        self, settings: Settings, client: PublisherClient | None = None, timeout_s: float = 30.0
    ) -> None:
        self._project_id = settings.project_id
        self._client = client or PublisherClient()
        self._timeout_s = timeout_s

    def publish(self, topic: str, message: RunMessage, attributes: Mapping[str, str]) -> str:
        """See :meth:`EventPublisher.publish`; the data is ``message`` as JSON (UTF-8).

        Raises:
            TransientError: Code ``event_publish_failed``.
        """
        return self.publish_raw(topic, message.model_dump_json().encode(), attributes)

    def publish_raw(self, topic: str, data: bytes, attributes: Mapping[str, str]) -> str:
        """See :meth:`EventPublisher.publish_raw`.

        Every failure is transient, a missing topic or permission included: those are fixed by
        a deploy, and the caller's retry (redelivery, then the dead-letter topic) keeps the event
        until then, where dropping it would lose the run.

        Raises:
            TransientError: Code ``event_publish_failed``: the broker refused the message or did
                not accept it within ``timeout_s``.
        """
        path = self._client.topic_path(self._project_id, topic)
        try:
            future = self._client.publish(path, data, **attributes)
            return future.result(timeout=self._timeout_s)
        except (GoogleAPIError, TimeoutError) as error:
            raise TransientError(
                "event_publish_failed", f"publishing to {topic} failed: {error!r}"
            ) from error
