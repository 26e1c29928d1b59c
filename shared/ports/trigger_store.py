"""TriggerStore: webhook endpoints, event subscriptions and cron state of agents."""

from __future__ import annotations

import abc

from shared.domain.triggers import CronState, EventSubscription, WebhookEndpoint


class TriggerStore(abc.ABC):
    """What the triggers keep between requests. Safe to call concurrently from many instances."""

    @abc.abstractmethod
    def put_webhook(self, endpoint: WebhookEndpoint) -> None:
        """Store ``endpoint``, replacing the one with its ``trigger_id``.

        Raises:
            ValidationError: Code ``invalid_id``: the trigger id cannot name a document.
        """

    @abc.abstractmethod
    def get_webhook(self, trigger_id: str) -> WebhookEndpoint:
        """The endpoint with this id, enabled or not.

        Raises:
            NotFoundError: Code ``trigger_not_found`` (also for an id no endpoint could have).
        """

    @abc.abstractmethod
    def find_webhook(self, org_id: str, agent_id: str) -> WebhookEndpoint | None:
        """The agent's endpoint, or None when it never had one."""

    @abc.abstractmethod
    def put_event_subscription(self, subscription: EventSubscription) -> None:
        """Store the subscription of ``subscription.agent_id``, replacing its earlier one."""

    @abc.abstractmethod
    def delete_event_subscription(self, org_id: str, agent_id: str) -> None:
        """Remove the agent's subscription; nothing happens when it has none."""

    @abc.abstractmethod
    def list_event_subscriptions(
        self, org_id: str, source_agent_id: str
    ) -> list[EventSubscription]:
        """The subscriptions to ``source_agent_id``'s runs, by subscribing agent id."""

    @abc.abstractmethod
    def get_cron_state(self, agent_id: str) -> CronState | None:
        """The agent's cron state, or None before its first tick."""

    @abc.abstractmethod
    def save_cron_state(self, state: CronState, expected_revision: int) -> CronState:
        """Store ``state`` if the stored one still has ``expected_revision`` (0: none stored).

        Returns:
            ``state`` as stored, with ``revision = expected_revision + 1``.

        Raises:
            ConflictError: Code ``cron_state_changed``: another instance saved first; read again.
        """
