"""Reading Teams dialog form values: Input.Time and Input.Date answer strings (or nothing, or garbage)."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::\d{2})?")


def form_time(value: Any) -> time | None:
    """`HH:MM` (clients may add `:SS`) as a time; None for anything else, 25:61 included."""
    match = _TIME.fullmatch(str(value or "").strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        return None
    return time(int(match[1]), int(match[2]))


def form_date(value: Any) -> date | None:
    """`YYYY-MM-DD` as a date; None for anything else."""
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
