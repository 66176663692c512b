"""Exactly-once activity handling: Bot Framework retries deliveries, and the unique key decides which one runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.engine import insert_for
from bot.store.tables import processed_activities, utcnow


class ProcessedActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)

    async def claim(self, conversation_id: str, activity_id: str) -> bool:
        """True for the first delivery of this activity, False for every duplicate, even concurrent ones."""
        return (conversation_id, activity_id) in await self.claim_many([(conversation_id, activity_id)])

    async def claim_many(self, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Claim many (conversation, activity) keys in one transaction; returns those claimed now (first seen)."""
        if not keys:
            return set()
        now = utcnow()
        rows = [{"conversation_id": c, "activity_id": a, "processed_at": now} for c, a in dict.fromkeys(keys)]
        table = processed_activities
        statement = (
            self._insert(table)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(table.c.conversation_id, table.c.activity_id)
        )
        async with self._engine.begin() as conn:
            claimed = (await conn.execute(statement)).all()
        return {(row.conversation_id, row.activity_id) for row in claimed}

    async def release(self, conversation_id: str, activity_id: str) -> None:
        """Give a claim back after the turn failed, so the channel's retry of it is processed, not dropped."""
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(processed_activities).where(
                    processed_activities.c.conversation_id == conversation_id,
                    processed_activities.c.activity_id == activity_id,
                )
            )

    async def purge(self, older_than: datetime) -> int:
        """Forget claims older than `older_than` (past the channel's retry window); returns how many."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(processed_activities).where(processed_activities.c.processed_at < older_than)
            )
        return result.rowcount
