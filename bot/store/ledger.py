"""The delivery ledger: which bot-initiated messages went out, by a key that names the delivery, not the attempt.

Timed work keys its sends by (work, item, occurrence[, recipient]). A run that is retried, taken over from a dead
instance or re-run after a restart finds its earlier sends here and does not repeat them.

A POST to the Bot Connector has no idempotency key, so a process that dies with a request in flight can't know
whether Teams took it. The ledger is written *before* the request (`sending`) and completed after it (`sent`):
a delivery found `sending` is treated as sent. That is at-most-once: a duplicate would need the process to die
in the ~200 ms Teams takes to answer, a loss only in the ~1 ms between the ledger write and the request leaving
the process, so this choice is the one that fails least often; and a duplicate policy notice or nudge is what
people notice, while the rare unconfirmed delivery is logged. A request that certainly failed (an error answer —
a 429 too — or a connection that was never made) is forgotten at once, before any wait for a retry: a process that
dies while waiting out Teams' Retry-After leaves nothing marked sent that was not.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.engine import insert_for
from bot.store.tables import delivery_ledger

SENDING, SENT = "sending", "sent"


def ledger_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class DeliveryLedger:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)

    async def begin(self, key: str, now: datetime) -> tuple[bool, str | None]:
        """Record that this delivery is being sent; (True, activity id) if it was sent (or sending) before."""
        hashed = ledger_key(key)
        statement = (
            self._insert(delivery_ledger)
            .values(key=hashed, state=SENDING, sent_at=now)
            .on_conflict_do_nothing()
            .returning(delivery_ledger.c.key)
        )
        async with self._engine.begin() as conn:
            if (await conn.execute(statement)).first() is not None:
                return False, None
            row = (
                await conn.execute(select(delivery_ledger.c.activity_id).where(delivery_ledger.c.key == hashed))
            ).first()
        return True, None if row is None else row.activity_id

    async def sent(self, key: str, activity_id: str | None) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(delivery_ledger)
                .where(delivery_ledger.c.key == ledger_key(key))
                .values(state=SENT, activity_id=activity_id)
            )

    async def forget(self, key: str) -> None:
        """The delivery certainly did not happen: a later try sends it."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(delivery_ledger).where(delivery_ledger.c.key == ledger_key(key)))

    async def purge(self, before: datetime) -> int:
        """Forget deliveries older than any retry could be."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(delivery_ledger).where(delivery_ledger.c.sent_at < before))
        return result.rowcount
