"""Nudge schedule math: next occurrences, quiet hours, working days and month ends (Asia/Tokyo)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.recurrence import QUIET_HOURS, Kind, QuietHours, Schedule, may_post_at, next_delivery, next_occurrence
from bot.workdays import is_working_day

TOKYO = ZoneInfo("Asia/Tokyo")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TOKYO)


NINE = time(9, 0)


@pytest.mark.parametrize(
    "schedule, after, expected",
    [
        (Schedule(Kind.DAILY, NINE), at(2026, 12, 1, 8, 59), at(2026, 12, 1, 9)),
        (Schedule(Kind.DAILY, NINE), at(2026, 12, 1, 9), at(2026, 12, 2, 9)),  # strictly after
        (Schedule(Kind.WEEKLY, NINE, weekdays=(0, 4)), at(2026, 12, 2, 12), at(2026, 12, 4, 9)),  # Wed → Fri
        (Schedule(Kind.WEEKLY, NINE, weekdays=(0, 4)), at(2026, 12, 4, 9), at(2026, 12, 7, 9)),  # Fri → Mon
        (Schedule(Kind.MONTHLY, NINE, day=15), at(2026, 12, 15, 10), at(2027, 1, 15, 9)),
        (Schedule(Kind.ONCE, NINE, on=date(2026, 12, 24)), at(2026, 12, 1), at(2026, 12, 24, 9)),
    ],
)
def test_next_occurrence(schedule: Schedule, after: datetime, expected: datetime) -> None:
    assert next_occurrence(schedule, after) == expected


def test_a_one_off_in_the_past_has_no_next_run() -> None:
    assert next_delivery(Schedule(Kind.ONCE, NINE, on=date(2026, 12, 24)), at(2026, 12, 24, 9)) is None


@pytest.mark.parametrize(
    "after, expected",
    [
        (at(2027, 1, 31, 9), at(2027, 2, 28, 9)),  # day 31 in February: the month's last day
        (at(2028, 2, 1), at(2028, 2, 29, 9)),  # leap year
        (at(2027, 4, 1), at(2027, 4, 30, 9)),
        (at(2027, 4, 30, 9), at(2027, 5, 31, 9)),  # and back to the 31st when the month has one
    ],
)
def test_monthly_on_day_31_means_month_end(after: datetime, expected: datetime) -> None:
    assert next_delivery(Schedule(Kind.MONTHLY, NINE, day=31), after) == expected


@pytest.mark.parametrize(
    "hour, minute, expected",
    [
        (21, 0, at(2026, 12, 2, 8)),  # evening → 08:00 next morning
        (20, 0, at(2026, 12, 2, 8)),  # quiet hours start at 20:00
        (7, 30, at(2026, 12, 2, 8)),  # early morning → 08:00 the same morning
        (8, 0, at(2026, 12, 2, 8)),
        (19, 59, at(2026, 12, 1, 19, 59)),
    ],
)
def test_quiet_hours_shift_a_nudge_to_08_00_instead_of_dropping_it(hour: int, minute: int, expected: datetime) -> None:
    assert next_delivery(Schedule(Kind.DAILY, time(hour, minute)), at(2026, 12, 1, 12)) == expected


def test_quiet_hours_are_a_parameter() -> None:
    lunch = QuietHours(start=time(12), end=time(13))
    assert next_delivery(Schedule(Kind.DAILY, time(12, 30)), at(2026, 12, 1), lunch) == at(2026, 12, 1, 13)
    assert next_delivery(Schedule(Kind.DAILY, time(21)), at(2026, 12, 1), lunch) == at(2026, 12, 1, 21)
    assert not may_post_at(Schedule(Kind.DAILY, NINE), at(2026, 12, 1, 21), QUIET_HOURS)


@pytest.mark.parametrize(
    "schedule, after, expected",
    [
        # Saturday → the next working day, same time
        (Schedule(Kind.WEEKLY, NINE, weekdays=(5,), working_days_only=True), at(2026, 12, 1), at(2026, 12, 7, 9)),
        # 成人の日 (Mon 11 Jan 2027) → Tuesday
        (Schedule(Kind.WEEKLY, NINE, weekdays=(0,), working_days_only=True), at(2027, 1, 5), at(2027, 1, 12, 9)),
        # 年末年始: 29 December → 4 January, the first working day
        (Schedule(Kind.MONTHLY, NINE, day=29, working_days_only=True), at(2026, 12, 1), at(2027, 1, 4, 9)),
        # Friday 21:00 → quiet until Saturday 08:00 → Monday 08:00
        (Schedule(Kind.WEEKLY, time(21), weekdays=(4,), working_days_only=True), at(2026, 12, 1), at(2026, 12, 7, 8)),
        # without the option, weekends are ordinary days
        (Schedule(Kind.WEEKLY, NINE, weekdays=(5,)), at(2026, 12, 1), at(2026, 12, 5, 9)),
    ],
)
def test_working_days_only_moves_to_the_next_working_day(
    schedule: Schedule, after: datetime, expected: datetime
) -> None:
    assert next_delivery(schedule, after) == expected


def following(schedule: Schedule, after: datetime) -> datetime:
    moment = next_delivery(schedule, after)
    assert moment is not None, "a repeating schedule always has a next delivery"
    return moment


def test_a_daily_working_days_nudge_posts_once_per_working_day_never_twice() -> None:
    schedule = Schedule(Kind.DAILY, NINE, working_days_only=True)
    runs, moment = [], at(2026, 12, 18)
    while (moment := following(schedule, moment)) < at(2027, 1, 16):
        runs.append(moment)
    assert len(runs) == len(set(runs))
    assert all(is_working_day(run.date()) and run.time() == NINE for run in runs)
    days = [run.date() for run in runs]
    assert days[days.index(date(2026, 12, 28)) + 1] == date(2027, 1, 4)  # 年末年始 skipped
