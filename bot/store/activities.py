"""Exactly-once activity handling that survives a crash.

Bot Framework retries deliveries. The unique key (conversation, activity id) decides which delivery runs, and the
claim's state says what a retry means: `done` — the turn finished, the retry is a duplicate; `running` — a turn
holds it, and the retry is a duplicate only while the instance that holds it (`owner`) is alive. A claim left
`running` by an instance that died (kill -9 mid-vote) is taken over by the retry, so the vote is recorded instead
of being answered "already received" and lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.engine import insert_for
from bot.store.tables import processed_activities, utcnow

Key = tuple[str, str]  # (conversation id, activity id)
RUNNING, DONE = "running", "done"


class ProcessedActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)

    async def claim_many(self, keys: Sequence[Key], owner: str) -> set[Key]:
        """Claim many keys for `owner` in one transaction; returns those claimed now (first seen)."""
        if not keys:
            return set()
        now = utcnow()
        rows = [
            {"conversation_id": c, "activity_id": a, "processed_at": now, "state": RUNNING, "owner": owner}
            for c, a in dict.fromkeys(keys)
        ]
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

    async def holders(self, keys: Sequence[Key]) -> dict[Key, tuple[str, str]]:
        """(state, owner) of each claimed key."""
        if not keys:
            return {}
        table = processed_activities
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(table.c.conversation_id, table.c.activity_id, table.c.state, table.c.owner).where(
                    tuple_(table.c.conversation_id, table.c.activity_id).in_(list(dict.fromkeys(keys)))
                )
            )
        return {(row.conversation_id, row.activity_id): (row.state, row.owner) for row in rows}

    async def take_over(self, key: Key, dead_owner: str, owner: str) -> bool:
        """Claim a key whose turn never finished because its instance died; False if someone was faster."""
        table = processed_activities
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(table)
                .where(
                    table.c.conversation_id == key[0],
                    table.c.activity_id == key[1],
                    table.c.state == RUNNING,
                    table.c.owner == dead_owner,
                )
                .values(owner=owner, processed_at=utcnow())
            )
        return result.rowcount == 1

    async def finish_many(self, keys: Sequence[Key]) -> None:
        """The turns finished: a retry of any of them is now a duplicate."""
        if not keys:
            return
        table = processed_activities
        async with self._engine.begin() as conn:
            await conn.execute(
                update(table)
                .where(tuple_(table.c.conversation_id, table.c.activity_id).in_(list(dict.fromkeys(keys))))
                .values(state=DONE)
            )

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
        """Forget claims older than `older_than` (past the channel's retry window, so nobody retries them any
        more, finished or not); returns how many."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(processed_activities).where(processed_activities.c.processed_at < older_than)
            )
        return result.rowcount
