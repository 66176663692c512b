"""The tips store on both backends: the database, not Python, keeps one rating per person per tip and one
tip-of-the-day post per conversation per day, even when the writes race."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from bot.store import Store
from bot.tips.model import Rating, Subscription
from bot.tips.store import TipStore

NOW = datetime(2026, 11, 27, tzinfo=UTC)


async def test_concurrent_ratings_by_one_person_leave_one_row(store: Store) -> None:
    tips = TipStore(store.engine)
    await asyncio.gather(*(tips.rate("paperless-01", "aad-1", i % 2 == 0, NOW) for i in range(6)))
    await tips.rate("paperless-01", "aad-2", False, NOW)
    [rating] = await tips.ratings()
    assert rating.tip_id == "paperless-01" and rating.helpful + rating.not_helpful == 2
    await tips.rate("paperless-01", "aad-1", False, NOW)
    assert await tips.ratings() == [Rating("paperless-01", helpful=0, not_helpful=2)]


async def test_seen_tips_are_per_audience_and_can_start_over(store: Store) -> None:
    tips = TipStore(store.engine)
    await tips.mark_seen("user:a", "t1", NOW)
    await tips.mark_seen("user:a", "t1", NOW)  # seen again: no duplicate
    await tips.mark_seen("user:a", "t2", NOW)
    await tips.mark_seen("conversation:c", "t1", NOW)
    assert await tips.seen("user:a") == {"t1", "t2"}
    await tips.forget("user:a", ["t1", "t2"])
    assert await tips.seen("user:a") == set()
    assert await tips.seen("conversation:c") == {"t1"}


async def test_the_day_of_the_last_post_is_kept_and_a_new_time_changes_the_row(store: Store) -> None:
    tips = TipStore(store.engine)
    await tips.subscribe(Subscription("19:c@thread.tacv2", 8, 30, "ja", "aad-1"), NOW)
    friday, monday = date(2026, 11, 27), date(2026, 11, 30)
    await tips.posted_on("19:c@thread.tacv2", friday, NOW)
    assert (await tips.subscription("19:c@thread.tacv2")).last_posted_on == friday  # type: ignore[union-attr]
    await tips.posted_on("19:c@thread.tacv2", monday, NOW)
    await tips.subscribe(Subscription("19:c@thread.tacv2", 7, 0, "en", "aad-2"), NOW)  # changed, not duplicated
    assert await tips.subscription("19:c@thread.tacv2") == Subscription(
        "19:c@thread.tacv2", 7, 0, "en", "aad-2", last_posted_on=monday
    )
    assert await tips.unsubscribe("19:c@thread.tacv2") and not await tips.unsubscribe("19:c@thread.tacv2")
