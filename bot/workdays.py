"""Working days in Japan: no weekends, no national holidays (a maintained library, not a hand list), no 年末年始.

Government offices close from December 29 to January 3; scheduled posts (tips, nudges) skip those days too.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("JP", years=year)


def is_year_end_break(day: date) -> bool:
    """年末年始: December 29 to January 3."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def holiday_name(day: date) -> str | None:
    """The national holiday on `day` (振替休日 and 国民の休日 included), if any."""
    return _holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and holiday_name(day) is None and not is_year_end_break(day)


def next_working_day(day: date) -> date:
    """`day` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day
