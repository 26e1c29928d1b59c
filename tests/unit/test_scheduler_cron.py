"""Next fire times of Cloud Scheduler schedules, across Europe/Berlin's DST changes.

In 2024 Berlin went from CET (UTC+1) to CEST (UTC+2) at 01:00 UTC on 31 March (02:00 local
became 03:00) and back at 01:00 UTC on 27 October (03:00 local became 02:00).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from emulators.scheduler.cron import CronSchedule, InvalidScheduleError

BERLIN = "Europe/Berlin"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fire_times(schedule: CronSchedule, after: datetime, count: int) -> list[datetime]:
    times = []
    for _ in range(count):
        after = schedule.next_after(after)
        times.append(after)
    return times


def test_next_fire_is_strictly_after_and_on_the_minute() -> None:
    every_minute = CronSchedule.parse("* * * * *", BERLIN)

    assert every_minute.next_after(utc(2024, 6, 1, 12, 0, 0)) == utc(2024, 6, 1, 12, 1)
    assert every_minute.next_after(utc(2024, 6, 1, 12, 0, 59, 999999)) == utc(2024, 6, 1, 12, 1)


def test_wall_clock_hour_is_read_in_the_job_time_zone() -> None:
    nine_am = CronSchedule.parse("0 9 * * MON", BERLIN)

    assert nine_am.next_after(utc(2024, 1, 1)) == utc(2024, 1, 1, 8)  # CET, a Monday
    assert nine_am.next_after(utc(2024, 7, 1)) == utc(2024, 7, 1, 7)  # CEST, a Monday


@pytest.mark.parametrize(
    "after", [utc(2024, 3, 31, 0, 30), utc(2024, 10, 27, 0, 30)], ids=["spring", "autumn"]
)
def test_every_minute_runs_straight_through_dst_changes(after: datetime) -> None:
    times = fire_times(CronSchedule.parse("* * * * *", BERLIN), after, 90)

    assert {later - earlier for earlier, later in pairwise(times)} == {timedelta(minutes=1)}


def test_quarter_hours_across_the_spring_gap() -> None:
    times = fire_times(CronSchedule.parse("*/15 * * * *", BERLIN), utc(2024, 3, 31, 0, 30), 4)

    # 01:45 CET is followed by 03:00 CEST: the local hour 02:xx does not exist.
    assert times == [
        utc(2024, 3, 31, 0, 45),
        utc(2024, 3, 31, 1),
        utc(2024, 3, 31, 1, 15),
        utc(2024, 3, 31, 1, 30),
    ]


def test_time_in_the_spring_gap_fires_right_after_it() -> None:
    times = fire_times(CronSchedule.parse("30 2 * * *", BERLIN), utc(2024, 3, 30, 12), 3)

    assert times == [utc(2024, 3, 31, 1), utc(2024, 4, 1, 0, 30), utc(2024, 4, 2, 0, 30)]


def test_repeated_autumn_time_fires_at_both_occurrences() -> None:
    times = fire_times(CronSchedule.parse("30 2 * * *", BERLIN), utc(2024, 10, 26, 12), 3)

    assert times == [utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 1, 30), utc(2024, 10, 28, 1, 30)]


def test_daily_job_keeps_local_time_across_the_autumn_change() -> None:
    times = fire_times(CronSchedule.parse("0 12 * * *", BERLIN), utc(2024, 10, 26, 0), 2)

    assert times == [utc(2024, 10, 26, 10), utc(2024, 10, 27, 11)]


@pytest.mark.parametrize("name", ["", "utc", "UTC", "Etc/UTC"])
def test_utc_spellings(name: str) -> None:
    assert CronSchedule.parse("0 0 * * *", name).next_after(utc(2024, 1, 1, 0, 0)) == utc(
        2024, 1, 2
    )


@pytest.mark.parametrize(
    ("schedule", "zone"),
    [
        ("* * * *", BERLIN),  # four fields
        ("0 0 * * * 2024", BERLIN),  # six fields
        ("61 * * * *", BERLIN),
        ("0 0 L * *", BERLIN),  # Google refuses L
        ("0 0 * * 5#2", BERLIN),
        ("@daily", BERLIN),
        ("0 0 31 2 *", BERLIN),  # never fires
        ("0 0 * * *", "Mars/Olympus_Mons"),
        ("0 0 * * *", "../etc/passwd"),
    ],
)
def test_invalid_schedules_and_zones_are_refused(schedule: str, zone: str) -> None:
    with pytest.raises(InvalidScheduleError):
        CronSchedule.parse(schedule, zone)


def test_names_and_sunday_as_seven_are_accepted() -> None:
    sunday = CronSchedule.parse("0 6 * JAN,DEC 7", "America/New_York")

    assert sunday.next_after(utc(2024, 1, 1)) == utc(2024, 1, 7, 11)
