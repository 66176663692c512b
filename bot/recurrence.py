"""The one recurrence model: when something repeating (a nudge, a poll, the tip of the day) happens next.

Pure schedule math, no I/O and no clock (the moment comes in as `after`). Every datetime is aware and in the
zone the schedule is read in (the bot's `TZ`, Asia/Tokyo); results are in the zone of the `after` they were
computed from. The rules a team lead can rely on:

- Kinds: daily, weekdays (Monday–Friday), weekly (chosen days), monthly (a day; 29–31 fall on the month's last
  day, so 31 means "at month end") and once.
- Quiet hours (nudges; default 20:00–08:00): a post that falls inside them goes out when they end, not dropped.
- "Working days only" (weekends, national holidays and 年末年始 are off, see `bot.workdays`): a post that falls
  on a day off moves to the next working day at the same time, so a monthly 1on1 reminder on a holiday is not
  lost. Moved posts that land on the same moment are one post, so a daily nudge never doubles up on Monday:
  for daily nudges, shifting is the same as skipping the days off.
- Monthly on day 29–31: months without that day use their last day (day 31 = "at month end").
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.workdays import next_working_day


class Kind(StrEnum):
    DAILY = "daily"
    WEEKDAYS = "weekdays"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    ONCE = "once"


@dataclass(frozen=True)
class Schedule:
    kind: Kind
    at: time
    weekdays: tuple[int, ...] = ()  # weekly: 0 = Monday … 6 = Sunday
    day: int | None = None  # monthly: 1–31
    on: date | None = None  # once
    working_days_only: bool = False


@dataclass(frozen=True)
class QuietHours:
    """A daily window with no posts; `start` after `end` wraps midnight (20:00–08:00)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """From "20:00-08:00" (the QUIET_HOURS setting, already checked by the settings)."""
        start, end = (time.fromisoformat(part.strip().zfill(5)) for part in text.split("-"))
        return cls(start, end)

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def shift(self, moment: datetime) -> datetime:
        """`moment` if it is outside the window, else the moment the window ends."""
        if not self.contains(moment.time()):
            return moment
        end = datetime.combine(moment.date(), self.end, tzinfo=moment.tzinfo)
        return end if end > moment else end + timedelta(days=1)


# The default; deployments set their own with QUIET_HOURS (see `QuietHours.parse`).
QUIET_HOURS = QuietHours(start=time(20, 0), end=time(8, 0))

# Every schedule has an occurrence within this many days (monthly on day 31 → at most 31 days away).
_HORIZON_DAYS = 62


def _monthly_day(day: int, on: date) -> int:
    return min(day, calendar.monthrange(on.year, on.month)[1])


def _falls_on(schedule: Schedule, on: date) -> bool:
    if schedule.kind is Kind.DAILY:
        return True
    if schedule.kind is Kind.WEEKDAYS:
        return on.weekday() < 5
    if schedule.kind is Kind.WEEKLY:
        return on.weekday() in schedule.weekdays
    if schedule.kind is Kind.MONTHLY:
        return schedule.day is not None and on.day == _monthly_day(schedule.day, on)
    return on == schedule.on


def next_occurrence(schedule: Schedule, after: datetime) -> datetime | None:
    """The first moment strictly after `after` that the schedule names, before quiet hours and working days."""
    if schedule.kind is Kind.ONCE:
        if schedule.on is None:
            return None
        moment = datetime.combine(schedule.on, schedule.at, tzinfo=after.tzinfo)
        return moment if moment > after else None
    start = after.date()
    for offset in range(_HORIZON_DAYS):
        on = start + timedelta(days=offset)
        moment = datetime.combine(on, schedule.at, tzinfo=after.tzinfo)
        if moment > after and _falls_on(schedule, on):
            return moment
    return None


def delivery_time(schedule: Schedule, moment: datetime, quiet: QuietHours | None = QUIET_HOURS) -> datetime:
    """When a post due at `moment` actually goes out: after quiet hours, then on a working day if asked."""
    if quiet is not None:
        moment = quiet.shift(moment)
    if schedule.working_days_only:
        moment = datetime.combine(next_working_day(moment.date()), moment.time(), tzinfo=moment.tzinfo)
    return moment


def may_post_at(schedule: Schedule, moment: datetime, quiet: QuietHours | None = QUIET_HOURS) -> bool:
    """True if a post may go out at `moment` (not in quiet hours, and on a working day if asked)."""
    return delivery_time(schedule, moment, quiet) == moment


def next_delivery(schedule: Schedule, after: datetime, quiet: QuietHours | None = QUIET_HOURS) -> datetime | None:
    """The next moment this is posted after `after`; None when a one-off is over.

    Both shifts only move a moment later, so the earliest occurrence gives the earliest delivery.
    """
    moment = next_occurrence(schedule, after)
    return None if moment is None else delivery_time(schedule, moment, quiet)
