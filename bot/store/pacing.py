"""The tenants' send schedules (`bot.pacing.Pace`) in the database, for several instances on one PostgreSQL.

A reservation locks the tenant's row (SELECT … FOR UPDATE), moves its schedule on and commits: instances take
turns for a few milliseconds per `CHUNK` of sends. Times come from the database server's clock, so instances on
hosts whose clocks disagree still share one schedule; each converts its slots to "seconds from now".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.pacing import Pace
from bot.store.engine import insert_for
from bot.store.tables import tenant_pace

T = TypeVar("T")


class DatabaseReservations:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)
        self._postgres = engine.dialect.name == "postgresql"

    async def reserve(self, tenant_id: str, count: int, interval: float) -> list[float]:
        def take(pace: Pace, now: float) -> tuple[Pace, list[float]]:
            after, slots = pace.reserve(now, count, interval)
            return after, [slot - now for slot in slots]

        return await self._change(tenant_id, take)

    async def back_off(self, tenant_id: str, seconds: float) -> None:
        await self._change(tenant_id, lambda pace, now: (pace.back_off(now, seconds), None))

    async def _change(self, tenant_id: str, change: Callable[[Pace, float], tuple[Pace, T]]) -> T:
        async with self._engine.begin() as conn:
            await conn.execute(
                self._insert(tenant_pace)
                .values(tenant_id=tenant_id, next_at=0.0, slowed_until=0.0)
                .on_conflict_do_nothing()
            )
            query = select(tenant_pace.c.next_at, tenant_pace.c.slowed_until).where(
                tenant_pace.c.tenant_id == tenant_id
            )
            if self._postgres:
                query = query.with_for_update()
            row = (await conn.execute(query)).one()
            after, result = change(Pace(row.next_at, row.slowed_until), await self._now(conn))
            await conn.execute(
                update(tenant_pace)
                .where(tenant_pace.c.tenant_id == tenant_id)
                .values(next_at=after.next_at, slowed_until=after.slowed_until)
            )
        return result

    async def _now(self, conn: AsyncConnection) -> float:
        """The database server's clock (PostgreSQL); SQLite, one instance on one host, has the host's."""
        if not self._postgres:
            return time.time()
        return float((await conn.execute(text("SELECT extract(epoch from clock_timestamp())"))).scalar_one())
