"""Triggers: how runs start from outside the API's run route.

Signed webhooks (:mod:`.signatures`, :mod:`.hooks`), Cloud Scheduler cron (:mod:`.schedule`,
:mod:`.cron_policy`, :mod:`.cron_intake`), agent-to-agent events (:mod:`.chain`), and the
idempotency every one of them shares with manual runs (:mod:`.idempotency`). Keeping an agent's
triggers in step with its spec is :mod:`.sync`, called by :mod:`shared.pipeline.agents`.
"""
