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
        statement = self._insert(processed_activities).values(
            conversation_id=conversation_id, activity_id=activity_id, processed_at=utcnow()
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(statement.on_conflict_do_nothing())
        return result.rowcount == 1

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
