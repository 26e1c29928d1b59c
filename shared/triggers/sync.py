"""Keeping an agent's trigger resources in step with its spec and its active flag.

=========  ==================================================================================
Trigger    While the agent is active with this trigger           Otherwise
=========  ==================================================================================
cron       a Cloud Scheduler job ``agent-<id>`` publishing a      the job is deleted
           :class:`ScheduledTick` on ``run-scheduled`` (paused
           when ``paused``)
webhook    an enabled :class:`WebhookEndpoint` and its signing    the endpoint is disabled; URL
           keyring in Secret Manager (made once, on first use)    and secret are kept for later
event      an :class:`EventSubscription` to the source agent      the subscription is deleted
=========  ==================================================================================

:func:`sync_triggers` is idempotent: saving the same spec again repairs whatever an earlier,
interrupted sync left undone. It removes the resources of the trigger the agent had before the
change, and touches no other service, so an agent without a cron trigger is saved even while
Cloud Scheduler is unavailable. Should two concurrent saves still leave a resource behind, the
triggers check the agent's latest spec before they start a run: a leftover Scheduler job's
ticks are dropped (and the job deleted), a leftover webhook URL answers 404, a leftover
subscription starts nothing.
"""

from __future__ import annotations

from datetime import timedelta

from shared import resources
from shared.composition import Dependencies
from shared.domain.agents import Agent
from shared.domain.messages import event_type
from shared.domain.spec import AgentSpec, CronTrigger, EventTrigger, WebhookTrigger
from shared.domain.triggers import (
    EventSubscription,
    ScheduledJob,
    ScheduledTick,
    TriggerInfo,
    WebhookEndpoint,
)
from shared.errors import ConflictError, NotFoundError, ValidationError
from shared.pipeline.trigger import new_id
from shared.triggers.keyring import (
    MAX_GRACE,
    check_secret,
    first_keyring,
    load_keyring,
    rotated,
    store_keyring,
)
from shared.triggers.schedule import next_fire

HOOKS_PATH = "/v1/hooks/"


def scheduled_job(agent: Agent, trigger: CronTrigger) -> ScheduledJob:
    """The Cloud Scheduler job of a cron agent."""
    tick = ScheduledTick(
        org_id=agent.org_id, agent_id=agent.agent_id, agent_version=agent.latest_version
    )
    return ScheduledJob(
        job_id=resources.scheduler_job_id(agent.agent_id),
        schedule=trigger.schedule,
        time_zone=trigger.timezone,
        topic=resources.RUN_SCHEDULED,
        data=tick.model_dump_json(),
        attributes={
            "event_type": event_type(resources.RUN_SCHEDULED),
            "org_id": agent.org_id,
            "agent_id": agent.agent_id,
            "agent_version": str(agent.latest_version),
        },
        description=f"Switchyard agent {agent.name} ({agent.agent_id})",
        paused=trigger.paused,
    )


def _sync_webhook(
    deps: Dependencies, agent: Agent, trigger: WebhookTrigger | None
) -> tuple[WebhookEndpoint | None, str | None]:
    endpoint = deps.triggers.find_webhook(agent.org_id, agent.agent_id)
    now = deps.clock()
    if trigger is None:
        if endpoint is not None and endpoint.enabled:
            endpoint = endpoint.model_copy(update={"enabled": False, "updated_at": now})
            deps.triggers.put_webhook(endpoint)
        return endpoint, None
    if endpoint is None:
        trigger_id = new_id()
        secret_id = resources.webhook_trigger_secret_id(trigger_id)
        keyring, secret = first_keyring(now)
        store_keyring(deps, secret_id, keyring)  # before the endpoint: it must never lack keys
        endpoint = WebhookEndpoint(
            trigger_id=trigger_id, org_id=agent.org_id, agent_id=agent.agent_id,
            preset=trigger.preset, secret_id=secret_id, enabled=agent.active,
            created_at=now, updated_at=now,
        )  # fmt: skip
        deps.triggers.put_webhook(endpoint)
        return endpoint, secret
    if endpoint.preset != trigger.preset or endpoint.enabled != agent.active:
        endpoint = endpoint.model_copy(
            update={"preset": trigger.preset, "enabled": agent.active, "updated_at": now}
        )
        deps.triggers.put_webhook(endpoint)
    return endpoint, None


def sync_triggers(
    deps: Dependencies, agent: Agent, spec: AgentSpec, previous: AgentSpec | None
) -> TriggerInfo:
    """Make the agent's trigger resources match ``spec`` and ``agent.active``.

    Args:
        deps: Dependencies.
        agent: The agent as stored now.
        spec: Its latest spec.
        previous: The spec before this change (None for a new agent; the same spec when only
            the active flag changed): its trigger's resources are removed if no longer wanted.

    Returns:
        The trigger as the API shows it; with the signing secret when one was just made.

    Raises:
        ValidationError: Code ``invalid_schedule`` (the Scheduler refused the job).
        TransientError: The Scheduler, a store or the secret service is unavailable.
    """
    trigger, live = spec.trigger, agent.active
    had = {spec.trigger.type, previous.trigger.type} if previous else set()
    if isinstance(trigger, CronTrigger) and live:
        deps.scheduler.put_job(scheduled_job(agent, trigger))
    elif "cron" in had:
        deps.scheduler.delete_job(resources.scheduler_job_id(agent.agent_id))
    secret = None
    if isinstance(trigger, WebhookTrigger) or "webhook" in had:
        webhook = trigger if isinstance(trigger, WebhookTrigger) else None
        _endpoint, secret = _sync_webhook(deps, agent, webhook)
    if isinstance(trigger, EventTrigger) and live:
        deps.triggers.put_event_subscription(
            EventSubscription(
                org_id=agent.org_id, agent_id=agent.agent_id,
                source_agent_id=trigger.source_agent, updated_at=deps.clock(),
            )
        )  # fmt: skip
    elif "event" in had:
        deps.triggers.delete_event_subscription(agent.org_id, agent.agent_id)
    info = describe_trigger(deps, agent, spec)
    return info.model_copy(update={"signing_secret": secret}) if secret else info


def describe_trigger(deps: Dependencies, agent: Agent, spec: AgentSpec) -> TriggerInfo:
    """The agent's trigger as the API shows it (never with a secret).

    Raises:
        TransientError: A store is unavailable.
    """
    trigger = spec.trigger
    if isinstance(trigger, WebhookTrigger):
        endpoint = deps.triggers.find_webhook(agent.org_id, agent.agent_id)
        if endpoint is None:  # a sync that never finished: saving the spec again makes it
            return TriggerInfo(type="webhook", preset=trigger.preset, enabled=False)
        return TriggerInfo(
            type="webhook",
            trigger_id=endpoint.trigger_id,
            path=HOOKS_PATH + endpoint.trigger_id,
            preset=trigger.preset,
            enabled=endpoint.enabled,
        )
    if isinstance(trigger, CronTrigger):
        scheduled = agent.active and not trigger.paused
        upcoming = next_fire(trigger.schedule, trigger.timezone, deps.clock())
        return TriggerInfo(
            type="cron",
            schedule=trigger.schedule,
            timezone=trigger.timezone,
            paused=trigger.paused,
            next_run_at=upcoming if scheduled else None,
        )
    if isinstance(trigger, EventTrigger):
        return TriggerInfo(type="event", source_agent=trigger.source_agent)
    return TriggerInfo(type="manual")


def rotate_webhook_secret(
    deps: Dependencies,
    agent: Agent,
    spec: AgentSpec,
    grace: timedelta,
    secret: str | None = None,
) -> TriggerInfo:
    """Give the agent's webhook trigger a new signing secret; the old ones stay valid for
    ``grace``.

    Args:
        deps: Dependencies.
        agent: The agent.
        spec: Its latest spec.
        grace: How long the replaced secrets keep verifying (0 to seven days).
        secret: The sender's own secret (Stripe and Slack make theirs), or None to generate one.

    Returns:
        The trigger with the new secret, shown this once.

    Raises:
        ConflictError: Code ``not_a_webhook_trigger``.
        ValidationError: Codes ``invalid_grace_period``, ``invalid_secret``.
        TransientError: A store or the secret service is unavailable.
    """
    trigger = spec.trigger
    endpoint = deps.triggers.find_webhook(agent.org_id, agent.agent_id)
    if not isinstance(trigger, WebhookTrigger) or endpoint is None:
        raise ConflictError("not_a_webhook_trigger", f"agent {agent.agent_id} has no webhook")
    if not timedelta(0) <= grace <= MAX_GRACE:
        raise ValidationError(
            "invalid_grace_period",
            "the grace period must be 0 to 604800 seconds (seven days)",
            errors=[{"field": "grace_period_s", "message": "must be 0 to 604800"}],
        )
    if secret is not None:
        check_secret(trigger.preset, secret)
    now = deps.clock()
    try:
        current = load_keyring(deps, endpoint.secret_id)
        keyring, new = rotated(current, now, grace, secret)
    except NotFoundError:  # the keyring was lost: start a new one
        keyring, new = rotated(first_keyring(now)[0], now, timedelta(0), secret)
    store_keyring(deps, endpoint.secret_id, keyring)
    info = describe_trigger(deps, agent, spec)
    return info.model_copy(update={"signing_secret": new})
