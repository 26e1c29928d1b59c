"""Building a pipeline stage's Cloud Function (2nd gen, CloudEvent signature).

A function returns to drop or ack and raises to retry: Eventarc (and functions-framework
converting a raw Pub/Sub push locally) then answers non-2xx and Pub/Sub redelivers with the
subscription's backoff until its dead-letter policy takes over.
"""

from __future__ import annotations

from collections.abc import Callable

import functions_framework
from cloudevents.http import CloudEvent

from shared import resources
from shared.composition import get_dependencies
from shared.logging import configure_logging
from shared.transport import pubsub


class RetryRequested(Exception):
    """Raised by a function to make Pub/Sub redeliver the event."""


def cloud_event_stage(consumer: str, handler: pubsub.StageHandler) -> Callable[[CloudEvent], None]:
    """The CloudEvent function of pipeline consumer ``consumer`` running ``handler``.

    Args:
        consumer: Consumer name in :data:`shared.resources.SUBSCRIPTIONS` (and the function's
            name, which is its deploy ``--target``).
        handler: The stage's use case, ``handler(deps, run_id)``.

    Returns:
        The registered function.
    """
    subscription = resources.SUBSCRIPTIONS_BY_CONSUMER[consumer]

    def stage(event: CloudEvent) -> None:
        deps = get_dependencies()
        configure_logging(deps.settings.project_id, deps.settings.log_level)
        if pubsub.process(deps, event.get_data(), subscription, handler) is pubsub.Outcome.RETRY:
            raise RetryRequested(f"{consumer}: a dependency failed; asking Pub/Sub to redeliver")

    stage.__name__ = stage.__qualname__ = consumer
    return functions_framework.cloud_event(stage)  # type: ignore[no-any-return]
