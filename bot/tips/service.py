"""Choosing tips: a random one the audience has not seen, round after round, and the tips people rate poorly."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from bot.tips.library import Library, Tip
from bot.tips.store import Rating, TipStore


def user_audience(user_key: str) -> str:
    return f"user:{user_key}"


def conversation_audience(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


@dataclass(frozen=True)
class RatedTip:
    tip: Tip
    rating: Rating


class TipService:
    def __init__(self, store: TipStore, library: Library, rng: random.Random | None = None) -> None:
        self.store = store
        self.library = library
        self._rng = rng or random.Random()

    async def next_tip(self, audience: str, now: datetime, category: str | None = None) -> Tip:
        """A tip this audience has not seen (in the category, if given); once all are seen, a new round starts."""
        pool = self.library.in_category(category)
        seen = await self.store.seen(audience)
        fresh = [tip for tip in pool if tip.id not in seen]
        if not fresh:
            await self.store.forget(audience, (tip.id for tip in pool))
            fresh = pool
        tip = self._rng.choice(fresh)
        await self.store.mark_seen(audience, tip.id, now)
        return tip

    async def poorly_rated(self, limit: int = 10) -> list[RatedTip]:
        """Tips with any いまいち, most いまいち first, then the lowest share of 役に立った."""
        rated = [
            RatedTip(tip, rating)
            for rating in await self.store.ratings()
            if rating.not_helpful and (tip := self.library.tip(rating.tip_id)) is not None
        ]
        rated.sort(key=lambda r: (-r.rating.not_helpful, r.rating.helpful_ratio, r.tip.id))
        return rated[:limit]
