"""Built-in nudges for open & flat habits, offered in the dialog; their wording is in the catalogs
(`nudges.template.<key>.title` / `.text`) so each team lead gets them in their own language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from bot.recurrence import Kind, Schedule


@dataclass(frozen=True)
class Template:
    key: str
    schedule: Schedule


TEMPLATES: tuple[Template, ...] = (
    Template("improvement", Schedule(Kind.WEEKLY, time(10, 0), weekdays=(0,), working_days_only=True)),
    Template("learned", Schedule(Kind.WEEKLY, time(16, 0), weekdays=(4,), working_days_only=True)),
    Template("one_on_one", Schedule(Kind.MONTHLY, time(9, 30), day=1, working_days_only=True)),
    Template("stop_doing", Schedule(Kind.WEEKLY, time(13, 0), weekdays=(2,), working_days_only=True)),
)


def template(key: str) -> Template | None:
    return next((item for item in TEMPLATES if item.key == key), None)
