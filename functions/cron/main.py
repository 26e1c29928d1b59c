"""Cloud Function ``cron``: ``run-scheduled`` (Cloud Scheduler ticks) → at most one run each."""

from shared.transport.scheduled import scheduled_tick_function
from shared.triggers.cron_intake import handle_scheduled_tick

cron = scheduled_tick_function("cron", handle_scheduled_tick)
