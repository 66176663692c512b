"""A vote storm on one shared card: few updates, under Teams' per-conversation limits, final state written."""

from __future__ import annotations

import asyncio
from itertools import pairwise

from bot.card_updates import CardRefresher, CardView
from cards.base import card, paragraph
from tests.support.bot import RunningBot


async def test_many_changes_become_few_updates_and_the_last_state_wins(bot: RunningBot) -> None:
    activity = bot.channel.builder.installation_update("add", conversation_type="channel")
    conversation_id = activity["conversation"]["id"]
    await bot.post(activity)
    posted = await bot.platform.sender.post(conversation_id, {"type": "message", "text": "集計中"})
    bot.channel.reset()
    refresher = CardRefresher(bot.platform.sender, interval=0.4)
    votes = 0

    async def render() -> CardView:
        return CardView(card([paragraph(f"{votes}票")]))

    for _ in range(60):  # 60 votes over ~1.2 s
        votes += 1
        refresher.request(conversation_id, posted.activity_id or "", render)
        await asyncio.sleep(0.02)
    await refresher.flush()

    updates = bot.channel.calls(operation="update")
    assert 2 <= len(updates) <= 5 and bot.channel.throttled == 0
    gaps = [b.time - a.time for a, b in pairwise(updates)]
    assert all(gap >= 0.35 for gap in gaps)
    final = bot.channel.activity(conversation_id, posted.activity_id or "")
    assert final is not None and final["attachments"][0]["content"]["body"][0]["text"] == "60票"


async def test_a_failed_update_is_written_again_so_the_final_state_still_lands(bot: RunningBot) -> None:
    activity = bot.channel.builder.installation_update("add", conversation_type="channel")
    conversation_id = activity["conversation"]["id"]
    await bot.post(activity)
    posted = await bot.platform.sender.post(conversation_id, {"type": "message", "text": "集計中"})
    bot.channel.reset()
    bot.channel.inject(400, method="PUT")  # refused once, not retried by the sender
    refresher = CardRefresher(bot.platform.sender, interval=0.2)

    async def render() -> CardView:
        return CardView(card([paragraph("最終結果")]), shown)

    shown_calls: list[str] = []

    async def shown() -> None:
        shown_calls.append("shown")

    refresher.request(conversation_id, posted.activity_id or "", render)
    await refresher.flush()
    assert [c.status for c in bot.channel.calls(operation="update")] == [400, 200]
    final = bot.channel.activity(conversation_id, posted.activity_id or "")
    assert final is not None and final["attachments"][0]["content"]["body"][0]["text"] == "最終結果"
    assert shown_calls == ["shown"]  # only the write that landed marks the card as showing its state
