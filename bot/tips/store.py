"""Persistence of the tips feature: seen tips, feedback and subscriptions, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.engine import insert_for
from bot.tips.model import Rating, Subscription
from bot.tips.tables import tip_feedback, tip_seen, tip_subscriptions


class TipStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)

    # ---- seen tips --------------------------------------------------------------------------------------------
    async def seen(self, audience: str) -> set[str]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(tip_seen.c.tip_id).where(tip_seen.c.audience == audience))
        return set(rows.scalars())

    async def mark_seen(self, audience: str, tip_id: str, now: datetime) -> None:
        statement = self._insert(tip_seen).values(audience=audience, tip_id=tip_id, seen_at=now)
        async with self._engine.begin() as conn:
            await conn.execute(
                statement.on_conflict_do_update(index_elements=["audience", "tip_id"], set_={"seen_at": now})
            )

    async def forget(self, audience: str, tip_ids: Iterable[str]) -> None:
        """Start a round over: these tips may be shown to the audience again."""
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(tip_seen).where(tip_seen.c.audience == audience, tip_seen.c.tip_id.in_(list(tip_ids)))
            )

    # ---- feedback ---------------------------------------------------------------------------------------------
    async def rate(self, tip_id: str, user_key: str, helpful: bool, now: datetime) -> None:
        """One rating per person per tip: the primary key makes a second click replace the first."""
        statement = self._insert(tip_feedback).values(tip_id=tip_id, user_key=user_key, helpful=helpful, updated_at=now)
        async with self._engine.begin() as conn:
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["tip_id", "user_key"], set_={"helpful": helpful, "updated_at": now}
                )
            )

    async def ratings(self) -> list[Rating]:
        helpful = func.sum(case((tip_feedback.c.helpful, 1), else_=0))
        not_helpful = func.sum(case((tip_feedback.c.helpful, 0), else_=1))
        query = select(tip_feedback.c.tip_id, helpful, not_helpful).group_by(tip_feedback.c.tip_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Rating(tip_id, int(yes), int(no)) for tip_id, yes, no in rows]

    # ---- subscriptions ----------------------------------------------------------------------------------------
    async def subscribe(self, subscription: Subscription, now: datetime) -> None:
        values = {
            "conversation_id": subscription.conversation_id,
            "hour": subscription.hour,
            "minute": subscription.minute,
            "lang": subscription.lang,
            "subscribed_by": subscription.subscribed_by,
            "updated_at": now,
        }
        statement = self._insert(tip_subscriptions).values(values)
        changed = {k: v for k, v in values.items() if k != "conversation_id"}
        async with self._engine.begin() as conn:
            await conn.execute(statement.on_conflict_do_update(index_elements=["conversation_id"], set_=changed))

    async def unsubscribe(self, conversation_id: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(tip_subscriptions).where(tip_subscriptions.c.conversation_id == conversation_id)
            )
        return result.rowcount == 1

    async def subscription(self, conversation_id: str) -> Subscription | None:
        query = select(tip_subscriptions).where(tip_subscriptions.c.conversation_id == conversation_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        values = row._asdict()
        del values["updated_at"]
        return Subscription(**values)

    async def posted_on(self, conversation_id: str, day: date, now: datetime) -> None:
        """The tip of `day` is in the conversation: a later run for that day posts nothing."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(tip_subscriptions)
                .where(tip_subscriptions.c.conversation_id == conversation_id)
                .values(last_posted_on=day, updated_at=now)
            )
