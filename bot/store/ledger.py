"""The delivery ledger: which bot-initiated messages went out, by a key that names the delivery, not the attempt.

Timed work keys its sends by (work, item, occurrence[, recipient]). A run that is retried, taken over from a dead
instance or re-run after a restart finds its earlier sends here and does not repeat them. A POST to the Bot
Connector has no idempotency key, so one window stays: Teams took the message but the process died before the
ledger row was written. Then the message is sent again (at-least-once) rather than lost.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.engine import insert_for
from bot.store.tables import delivery_ledger


def ledger_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class DeliveryLedger:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)

    async def find(self, key: str) -> tuple[bool, str | None]:
        """(already sent?, the activity id Teams gave it)."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(delivery_ledger.c.activity_id).where(delivery_ledger.c.key == ledger_key(key))
                )
            ).first()
        return (False, None) if row is None else (True, row.activity_id)

    async def record(self, key: str, activity_id: str | None, now: datetime) -> None:
        statement = self._insert(delivery_ledger).values(key=ledger_key(key), activity_id=activity_id, sent_at=now)
        async with self._engine.begin() as conn:
            await conn.execute(statement.on_conflict_do_nothing())

    async def purge(self, before: datetime) -> int:
        """Forget deliveries older than any retry could be."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(delivery_ledger).where(delivery_ledger.c.sent_at < before))
        return result.rowcount
