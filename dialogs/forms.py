"""Reading Teams dialog form values: Input.Time and Input.Date answer strings (or nothing, or garbage)."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from bot.numbers import fold_digits

_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::[0-9]{2})?")  # ASCII digits: see bot.numbers


def form_time(value: Any) -> time | None:
    """`HH:MM` (clients may add `:SS`) as a time; None for anything else, 25:61 included."""
    match = _TIME.fullmatch(fold_digits(str(value or "").strip()))
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return time(int(match[1]), int(match[2]))


def form_date(value: Any) -> date | None:
    """`YYYY-MM-DD` as a date; None for anything else."""
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
