"""The one parser of times and dates people type or forms send, and the one way they are written back, for every
feature.

Typed: 「8:30」「８：３０」「8時30分」「8時半」「8時」「8」. Forms: Input.Time answers `HH:MM` (some clients add
`:SS`), Input.Date `YYYY-MM-DD`. Anything else — 25:61, ²:①, a list — is None, never an exception.

Written: the Japanese way, 「11月28日(土) 9:00」 (no ISO dates, no leading zero on the hour); in English
"Sat, Nov 28 9:00".
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.numbers import fold_width

_CLOCK = re.compile(r"([0-9]{1,2})(?:(?:[:時])([0-9]{1,2}|半)?分?(?::[0-9]{2})?)?")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _typed(value: Any) -> str:
    return fold_width(value).strip() if isinstance(value, str) else ""


def parse_clock(value: Any) -> time | None:
    """A time of day from what someone typed or a form sent; None for anything that is not one."""
    typed = _typed(value)
    match = _CLOCK.fullmatch(typed)
    if match is None or (":" in typed and match.group(2) is None):  # 「8:」 is unfinished, not 8:00
        return None
    hour = int(match.group(1))
    minute = 30 if match.group(2) == "半" else int(match.group(2) or 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def parse_date(value: Any) -> date | None:
    """`YYYY-MM-DD` (ASCII digits only) as a date; None for anything else."""
    match = _DATE.fullmatch(_typed(value))
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def clock_text(at: time) -> str:
    """9:00, 16:30 (24-hour, no leading zero)."""
    return f"{at.hour}:{at.minute:02d}"


def weekday_text(weekday: int, lang: str) -> str:
    """月 / Mon for 0 (Monday) … 日 / Sun for 6."""
    return t(f"weekday.{weekday}", lang)


def date_text(day: date, lang: str) -> str:
    """11月28日(土) / Sat, Nov 28."""
    month, weekday = t(f"month.{day.month}", lang), weekday_text(day.weekday(), lang)
    return t("format.date", lang, month=month, day=day.day, weekday=weekday)


def moment_text(moment: datetime, lang: str, tz: ZoneInfo) -> str:
    """An aware moment in `tz`: 11月28日(土) 9:00 / Sat, Nov 28 9:00."""
    local = moment.astimezone(tz)
    return t("format.moment", lang, date=date_text(local.date(), lang), time=clock_text(local.time()))
