"""InMemoryTriggerStore: the TriggerStore twin, for unit tests."""

from __future__ import annotations

import threading

from shared.adapters.store_support import check_document_id
from shared.adapters.trigger_records import saved_cron_state, trigger_not_found
from shared.domain.triggers import CronState, EventSubscription, WebhookEndpoint
from shared.ports.trigger_store import TriggerStore


class InMemoryTriggerStore(TriggerStore):
    """Endpoints, subscriptions and cron states in dicts under one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._webhooks: dict[str, WebhookEndpoint] = {}
        self._subscriptions: dict[str, EventSubscription] = {}
        self._cron: dict[str, CronState] = {}

    def put_webhook(self, endpoint: WebhookEndpoint) -> None:
        """See :meth:`TriggerStore.put_webhook`.

        Raises:
            ValidationError: Code ``invalid_id``.
        """
        check_document_id("trigger_id", endpoint.trigger_id)
        with self._lock:
            self._webhooks[endpoint.trigger_id] = endpoint

    def get_webhook(self, trigger_id: str) -> WebhookEndpoint:
        """See :meth:`TriggerStore.get_webhook`.

        Raises:
            NotFoundError: Code ``trigger_not_found``.
        """
        with self._lock:
            endpoint = self._webhooks.get(trigger_id)
        if endpoint is None:
            raise trigger_not_found(trigger_id)
        return endpoint

    def find_webhook(self, org_id: str, agent_id: str) -> WebhookEndpoint | None:
        """See :meth:`TriggerStore.find_webhook`."""
        with self._lock:
            return next(
                (
                    e
                    for e in self._webhooks.values()
                    if e.org_id == org_id and e.agent_id == agent_id
                ),
                None,
            )

    def put_event_subscription(self, subscription: EventSubscription) -> None:
        """See :meth:`TriggerStore.put_event_subscription`."""
        check_document_id("agent_id", subscription.agent_id)
        with self._lock:
            self._subscriptions[subscription.agent_id] = subscription

    def delete_event_subscription(self, org_id: str, agent_id: str) -> None:
        """See :meth:`TriggerStore.delete_event_subscription`."""
        with self._lock:
            stored = self._subscriptions.get(agent_id)
            if stored is not None and stored.org_id == org_id:
                del self._subscriptions[agent_id]

    def list_event_subscriptions(
        self, org_id: str, source_agent_id: str
    ) -> list[EventSubscription]:
        """See :meth:`TriggerStore.list_event_subscriptions`."""
        with self._lock:
            found = [
                s
                for s in self._subscriptions.values()
                if s.org_id == org_id and s.source_agent_id == source_agent_id
            ]
        return sorted(found, key=lambda s: s.agent_id)

    def get_cron_state(self, agent_id: str) -> CronState | None:
        """See :meth:`TriggerStore.get_cron_state`."""
        with self._lock:
            return self._cron.get(agent_id)

    def save_cron_state(self, state: CronState, expected_revision: int) -> CronState:
        """See :meth:`TriggerStore.save_cron_state`.

        Raises:
            ConflictError: Code ``cron_state_changed``.
        """
        check_document_id("agent_id", state.agent_id)
        with self._lock:
            saved = saved_cron_state(self._cron.get(state.agent_id), state, expected_revision)
            self._cron[state.agent_id] = saved
        return saved
