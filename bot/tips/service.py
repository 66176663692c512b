"""Choosing tips: a random one the audience has not seen, round after round, and the tips people rate poorly; and
the chats and channels that get a tip of the day. The feature reaches the tips' tables only through this service."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.tips.library import Library, Tip
from bot.tips.model import Rating, Subscription
from bot.tips.store import TipStore


def user_audience(user_key: str) -> str:
    return f"user:{user_key}"


def conversation_audience(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


@dataclass(frozen=True)
class RatedTip:
    tip: Tip
    rating: Rating


class TipService:
    def __init__(self, engine: AsyncEngine, library: Library, rng: random.Random | None = None) -> None:
        self._store = TipStore(engine)
        self.library = library
        self._rng = rng or random.Random()

    async def next_tip(self, audience: str, now: datetime, category: str | None = None) -> Tip:
        """A tip this audience has not seen (in the category, if given); once all are seen, a new round starts."""
        pool = self.library.in_category(category)
        seen = await self._store.seen(audience)
        fresh = [tip for tip in pool if tip.id not in seen]
        if not fresh:
            await self._store.forget(audience, (tip.id for tip in pool))
            fresh = pool
        tip = self._rng.choice(fresh)
        await self._store.mark_seen(audience, tip.id, now)
        return tip

    async def poorly_rated(self, limit: int = 10) -> list[RatedTip]:
        """Tips with any いまいち, most いまいち first, then the lowest share of 役に立った."""
        rated = [
            RatedTip(tip, rating)
            for rating in await self._store.ratings()
            if rating.not_helpful and (tip := self.library.tip(rating.tip_id)) is not None
        ]
        rated.sort(key=lambda r: (-r.rating.not_helpful, r.rating.helpful_ratio, r.tip.id))
        return rated[:limit]

    async def rate(self, tip_id: str, user_key: str, helpful: bool, now: datetime) -> None:
        """A person's 役に立った / いまいち; clicking again replaces their earlier rating of the tip."""
        await self._store.rate(tip_id, user_key, helpful, now)

    # ---- the tip of the day -----------------------------------------------------------------------------------
    async def subscription(self, conversation_id: str) -> Subscription | None:
        """The tip of the day of a chat or channel, if it has one."""
        return await self._store.subscription(conversation_id)

    async def subscribe(self, subscription: Subscription, now: datetime) -> None:
        """Start the tip of the day, or move it to another time."""
        await self._store.subscribe(subscription, now)

    async def unsubscribe(self, conversation_id: str) -> None:
        await self._store.unsubscribe(conversation_id)

    async def posted_on(self, conversation_id: str, day: date, now: datetime) -> None:
        """The tip of `day` is in the conversation: a later run for that day (a retry, a restart) posts nothing."""
        await self._store.posted_on(conversation_id, day, now)
