"""Nudge rows in and out as plain dataclasses."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.nudges.model import Nudge
from bot.nudges.tables import nudges
from bot.recurrence import Schedule
from bot.store.engine import insert_for
from bot.store.tables import utcnow


def schedule_columns(schedule: Schedule) -> dict[str, Any]:
    """The columns that describe a schedule."""
    return {
        "kind": schedule.kind.value,
        "at_time": schedule.at.strftime("%H:%M"),
        "weekdays": sorted(schedule.weekdays),
        "day_of_month": schedule.day,
        "on_date": schedule.on,
        "working_days_only": schedule.working_days_only,
    }


_COLUMNS = tuple(field.name for field in fields(Nudge))


class NudgeStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, nudge: Nudge) -> Nudge:
        """Insert the nudge unless one with its id is there already; the stored nudge either way."""
        now = utcnow()
        values = {name: getattr(nudge, name) for name in _COLUMNS} | {"created_at": now, "updated_at": now}
        async with self._engine.begin() as conn:
            await conn.execute(insert_for(self._engine)(nudges).values(values).on_conflict_do_nothing())
        stored = await self.get(nudge.nudge_id)
        assert stored is not None
        return stored

    async def get(self, nudge_id: str) -> Nudge | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(nudges).where(nudges.c.nudge_id == nudge_id))).first()
        return None if row is None else Nudge(**row._asdict())

    async def in_place(self, place_id: str) -> list[Nudge]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(nudges).where(nudges.c.place_id == place_id).order_by(nudges.c.created_at))
        return [Nudge(**row._asdict()) for row in rows]

    async def planned(self) -> list[Nudge]:
        """Every nudge that has a next delivery."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(nudges).where(nudges.c.next_run_at.is_not(None)))
        return [Nudge(**row._asdict()) for row in rows]

    async def change(self, nudge_id: str, **values: Any) -> Nudge | None:
        """Update some columns; None if the nudge is gone."""
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                update(nudges).where(nudges.c.nudge_id == nudge_id).values(**values, updated_at=utcnow())
            )
        return await self.get(nudge_id) if changed.rowcount else None

    async def remove(self, nudge_id: str) -> bool:
        async with self._engine.begin() as conn:
            removed = await conn.execute(delete(nudges).where(nudges.c.nudge_id == nudge_id))
        return removed.rowcount == 1
