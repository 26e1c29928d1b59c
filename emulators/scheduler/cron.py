"""When a Cloud Scheduler job fires: its unix-cron ``schedule`` read in its ``time_zone``.

Cloud Scheduler accepts five-field unix-cron (minute, hour, day of month, month, day of week;
``*``, ranges, ``/`` steps, lists, ``JAN``-``DEC``, ``SUN``-``SAT``, 7 for Sunday; day of month
and day of week OR-ed when both are restricted) and refuses extensions such as ``L`` or ``#``
(https://cloud.google.com/scheduler/docs/configuring/cron-job-schedules). croniter does the
arithmetic; this module only narrows it to Google's grammar and names the time zone rules.

Daylight saving time: Google says only that the scheduler "runs on wall clock time" and that
jobs at a time that occurs twice "may observe execution anomalies". We follow wall-clock time
as croniter computes it in a tz-aware zone:

- a wall time that occurs twice (clocks go back) fires at both occurrences, so ``30 2 * * *``
  in Europe/Berlin fires at 00:30 and 01:30 UTC on the last Sunday of October;
- a wall time that never occurs (clocks go forward) fires at the first instant after the gap,
  so ``30 2 * * *`` fires at 03:00 CEST on the last Sunday of March;
- ``* * * * *`` fires every minute, 60 seconds apart, straight through both changes.

Google's English-like schedules (``every 5 minutes``) are not supported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

_ELEMENT = r"(?:\*|\d+|[A-Za-z]{3})(?:-(?:\d+|[A-Za-z]{3}))?(?:/\d+)?"
_FIELD_RE = re.compile(rf"{_ELEMENT}(?:,{_ELEMENT})*")
# Any schedule that ever fires fires within a few years of any instant, leap days included.
_REFERENCE = datetime(2000, 1, 1, tzinfo=UTC)


class InvalidScheduleError(ValueError):
    """A schedule or time zone that Cloud Scheduler would refuse (INVALID_ARGUMENT)."""


def time_zone(name: str) -> ZoneInfo:
    """The tz database zone ``name``; ``""`` and ``"utc"`` (any case) mean UTC, as Google's do.

    Raises:
        InvalidScheduleError: When the tz database has no such zone.
    """
    if name == "" or name.lower() == "utc":
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidScheduleError(f"unknown time zone {name!r}") from error


@dataclass(frozen=True)
class CronSchedule:
    """A parsed unix-cron schedule in a time zone.

    Attributes:
        expression: The five-field unix-cron expression.
        zone: The zone whose wall clock the expression is read on.
    """

    expression: str
    zone: ZoneInfo

    @classmethod
    def parse(cls, schedule: str, time_zone_name: str) -> CronSchedule:
        """Validate a job's ``schedule`` and ``time_zone`` as Cloud Scheduler does.

        Args:
            schedule: Five-field unix-cron, such as ``"0 */6 * * *"``.
            time_zone_name: tz database name, such as ``"Europe/Berlin"``; ``""`` for UTC.

        Returns:
            The schedule, ready for :meth:`next_after`.

        Raises:
            InvalidScheduleError: For a malformed expression, one that never fires (such as
                ``0 0 31 2 *``), or an unknown time zone.
        """
        fields = schedule.split()
        if len(fields) != 5 or not all(_FIELD_RE.fullmatch(f) for f in fields):
            raise InvalidScheduleError(f"schedule {schedule!r} is not five-field unix-cron")
        if not croniter.is_valid(schedule):
            raise InvalidScheduleError(f"schedule {schedule!r} is not valid unix-cron")
        parsed = cls(" ".join(fields), time_zone(time_zone_name))
        try:
            parsed.next_after(_REFERENCE)
        except CroniterBadDateError as error:
            raise InvalidScheduleError(f"schedule {schedule!r} never fires") from error
        return parsed

    def next_after(self, moment: datetime) -> datetime:
        """The first fire time strictly after ``moment``.

        Args:
            moment: Any timezone-aware instant.

        Returns:
            The fire time in UTC, on a whole minute.

        Raises:
            CroniterBadDateError: When the schedule never fires (:meth:`parse` refuses those).
        """
        local = moment.astimezone(self.zone)
        fire: datetime = croniter(self.expression, local).get_next(datetime)
        return fire.astimezone(UTC)
