"""Cron arithmetic: when a five-field unix-cron schedule fires, on a time zone's wall clock.

croniter does the arithmetic on timezone-aware datetimes, as the Scheduler emulator does
(``emulators/scheduler/cron.py`` describes the daylight-saving rules): a wall time that occurs
twice fires twice, one that never occurs fires at the first instant after the gap. The spec
validates schedules when it is saved (:class:`shared.domain.spec.CronTrigger`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter


def next_fire(schedule: str, timezone: str, after: datetime) -> datetime:
    """The first fire time strictly after ``after``.

    Args:
        schedule: Five-field unix-cron expression.
        timezone: IANA time-zone name.
        after: A timezone-aware instant.

    Returns:
        The fire time in UTC.
    """
    local = after.astimezone(ZoneInfo(timezone))
    fire: datetime = croniter(schedule, local).get_next(datetime)
    return fire.astimezone(UTC)


def latest_fire(schedule: str, timezone: str, at: datetime) -> datetime:
    """The last fire time at or before ``at``.

    Args:
        schedule: Five-field unix-cron expression.
        timezone: IANA time-zone name.
        at: A timezone-aware instant.

    Returns:
        The fire time in UTC.
    """
    # croniter's get_prev is strictly before its start, and fire times are whole minutes: the
    # next whole second after ``at`` has the same latest fire time at or before it as ``at``.
    start = at.replace(microsecond=0) + timedelta(seconds=1)
    fire: datetime = croniter(schedule, start.astimezone(ZoneInfo(timezone))).get_prev(datetime)
    return fire.astimezone(UTC)
