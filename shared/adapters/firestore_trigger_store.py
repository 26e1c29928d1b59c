"""FirestoreTriggerStore: webhook endpoints, event subscriptions and cron state in Firestore.

Layout (DESIGN.md §2)::

    webhook_triggers/{trigger_id}       WebhookEndpoint (random id: the URL's last part)
    event_subscriptions/{agent_id}      EventSubscription of the subscribing agent
    cron_states/{agent_id}              CronState, saved by compare-and-set on ``revision``

An agent's endpoint is found by an equality query on ``agent_id``, subscriptions by equality on
``org_id`` and ``source_agent_id``: equality-only queries are served by Firestore's automatic
single-field indexes, so no composite index is needed. A cron state sees one save per tick of
its agent (a minute at the most frequent), far below a document's sustained write rate.
"""

from __future__ import annotations

from google.cloud import firestore

from shared.adapters.firestore_support import (
    DocumentCodec,
    FirestoreIndex,
    firestore_errors,
    run_transaction,
    snapshot_data,
)
from shared.adapters.store_support import check_document_id, is_document_id
from shared.adapters.trigger_records import saved_cron_state, trigger_not_found
from shared.domain.triggers import CronState, EventSubscription, WebhookEndpoint
from shared.ports.trigger_store import TriggerStore
from shared.resources import CRON_STATES, EVENT_SUBSCRIPTIONS, WEBHOOK_TRIGGERS

FIRESTORE_INDEXES: tuple[FirestoreIndex, ...] = ()

_ENDPOINT = DocumentCodec(WebhookEndpoint)
_SUBSCRIPTION = DocumentCodec(EventSubscription)
_CRON = DocumentCodec(CronState)


class FirestoreTriggerStore(TriggerStore):
    """Trigger records in ``webhook_triggers``, ``event_subscriptions`` and ``cron_states``.

    Besides the errors each method names, every method raises :class:`TransientError` (code
    ``firestore_unavailable`` or ``firestore_contention``) when Firestore fails in a way a
    retry may fix.

    Args:
        client: Firestore client (of the emulator when ``FIRESTORE_EMULATOR_HOST`` is set).
    """

    def __init__(self, client: firestore.Client) -> None:
        self._client = client
        self._webhooks = client.collection(WEBHOOK_TRIGGERS)
        self._subscriptions = client.collection(EVENT_SUBSCRIPTIONS)
        self._cron = client.collection(CRON_STATES)

    @firestore_errors()
    def put_webhook(self, endpoint: WebhookEndpoint) -> None:
        """See :meth:`TriggerStore.put_webhook`.

        Raises:
            ValidationError: Code ``invalid_id``.
        """
        check_document_id("trigger_id", endpoint.trigger_id)
        self._webhooks.document(endpoint.trigger_id).set(_ENDPOINT.encode(endpoint))

    @firestore_errors()
    def get_webhook(self, trigger_id: str) -> WebhookEndpoint:
        """See :meth:`TriggerStore.get_webhook`.

        Raises:
            NotFoundError: Code ``trigger_not_found``.
        """
        if not is_document_id(trigger_id):
            raise trigger_not_found(trigger_id)
        snapshot = self._webhooks.document(trigger_id).get()
        if not snapshot.exists:
            raise trigger_not_found(trigger_id)
        return _ENDPOINT.decode(snapshot_data(snapshot))

    @firestore_errors()
    def find_webhook(self, org_id: str, agent_id: str) -> WebhookEndpoint | None:
        """See :meth:`TriggerStore.find_webhook`."""
        query = self._webhooks.where(filter=firestore.FieldFilter("agent_id", "==", agent_id))
        endpoints = [_ENDPOINT.decode(snapshot_data(s)) for s in query.stream()]
        return next((e for e in endpoints if e.org_id == org_id), None)

    @firestore_errors()
    def put_event_subscription(self, subscription: EventSubscription) -> None:
        """See :meth:`TriggerStore.put_event_subscription`.

        Raises:
            ValidationError: Code ``invalid_id``.
        """
        check_document_id("agent_id", subscription.agent_id)
        ref = self._subscriptions.document(subscription.agent_id)
        ref.set(_SUBSCRIPTION.encode(subscription))

    @firestore_errors()
    def delete_event_subscription(self, org_id: str, agent_id: str) -> None:
        """See :meth:`TriggerStore.delete_event_subscription`."""
        if not is_document_id(agent_id):
            return
        ref = self._subscriptions.document(agent_id)

        def body(transaction: firestore.Transaction) -> None:
            snapshot = ref.get(transaction=transaction)
            if snapshot.exists and snapshot_data(snapshot).get("org_id") == org_id:
                transaction.delete(ref)

        run_transaction(self._client, body)

    @firestore_errors()
    def list_event_subscriptions(
        self, org_id: str, source_agent_id: str
    ) -> list[EventSubscription]:
        """See :meth:`TriggerStore.list_event_subscriptions`."""
        query = self._subscriptions.where(
            filter=firestore.FieldFilter("source_agent_id", "==", source_agent_id)
        ).where(filter=firestore.FieldFilter("org_id", "==", org_id))
        found = [_SUBSCRIPTION.decode(snapshot_data(s)) for s in query.stream()]
        return sorted(found, key=lambda s: s.agent_id)

    @firestore_errors()
    def get_cron_state(self, agent_id: str) -> CronState | None:
        """See :meth:`TriggerStore.get_cron_state`."""
        if not is_document_id(agent_id):
            return None
        snapshot = self._cron.document(agent_id).get()
        return _CRON.decode(snapshot_data(snapshot)) if snapshot.exists else None

    @firestore_errors()
    def save_cron_state(self, state: CronState, expected_revision: int) -> CronState:
        """See :meth:`TriggerStore.save_cron_state`.

        Raises:
            ConflictError: Code ``cron_state_changed``.
            ValidationError: Code ``invalid_id``.
        """
        check_document_id("agent_id", state.agent_id)
        ref = self._cron.document(state.agent_id)

        def body(transaction: firestore.Transaction) -> CronState:
            snapshot = ref.get(transaction=transaction)
            stored = _CRON.decode(snapshot_data(snapshot)) if snapshot.exists else None
            saved = saved_cron_state(stored, state, expected_revision)
            transaction.set(ref, _CRON.encode(saved))
            return saved

        return run_transaction(self._client, body)
