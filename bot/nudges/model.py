"""A nudge as plain data: what it says, where, and on which schedule (the columns of its row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from bot.recurrence import Kind, Schedule


@dataclass(frozen=True)
class Nudge:
    nudge_id: str
    tenant_id: str | None
    conversation_id: str
    place_id: str
    conversation_type: str
    creator_key: str
    lang: str
    text: str
    kind: str
    at_time: str
    weekdays: list[int]
    day_of_month: int | None
    on_date: date | None
    working_days_only: bool
    paused: bool
    next_run_at: datetime | None = None
    last_sent_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def schedule(self) -> Schedule:
        hour, minute = (int(part) for part in self.at_time.split(":"))
        return Schedule(
            kind=Kind(self.kind),
            at=time(hour, minute),
            weekdays=tuple(self.weekdays),
            day=self.day_of_month,
            on=self.on_date,
            working_days_only=self.working_days_only,
        )
