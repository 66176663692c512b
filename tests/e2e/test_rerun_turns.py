"""A turn that ran but was never marked done — its instance died between the work and the bookkeeping — is run
again when Teams re-sends the activity. What it created must then exist once: one poll with one card, one nudge,
one idea with one card in the idea channel, one comment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from bot.i18n import t
from bot.ideas.tables import idea_comments, ideas
from bot.nudges.tables import nudges
from bot.polls.tables import polls
from bot.store.tables import processed_activities
from tests.support.bot import RunningBot, start_bot
from tests.support.cards import card_of, texts
from tests.support.ideas import PAPERLESS, REVIEWER, ROLES, IdeaBox
from tests.teams_channel.activities import Conversation
from tests.teams_channel.channel import TeamsChannel


async def _rows(bot: RunningBot, table: Any) -> int:
    async with bot.platform.store.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def _crash_after_the_work(bot: RunningBot, activity: dict[str, Any]) -> list[Any]:
    """Deliver `activity`, forget that it was done (the instance died before recording it), deliver it again."""
    answers = [await bot.post(activity)]
    async with bot.platform.store.engine.begin() as conn:
        await conn.execute(delete(processed_activities).where(processed_activities.c.activity_id == activity["id"]))
    answers.append(await bot.post(activity))
    assert [status for status, _ in answers] == [200, 200]
    return [body for _, body in answers]


async def test_a_poll_made_by_a_turn_run_twice_exists_once_with_one_card(bot: RunningBot) -> None:
    b = bot.channel.builder
    room = Conversation.channel()
    assert (await bot.post(b.installation_update("add", conversation=room)))[0] == 200
    line = b.message("投票 今日のランチ? / 和食 / 洋食", conversation=room, mention_bot=True)
    await _crash_after_the_work(bot, line)
    await bot.run_due()
    assert await _rows(bot, polls) == 1
    cards = [a for a in bot.channel.activities_in(room.id) if "今日のランチ?" in texts(card_of(a) or {})]
    assert len(cards) == 1


async def test_a_nudge_saved_by_a_turn_run_twice_exists_once(bot: RunningBot) -> None:
    b = bot.channel.builder
    room = Conversation.channel()
    lead = b.user("佐藤 課長")
    assert (await bot.post(b.installation_update("add", conversation=room, user=lead)))[0] == 200
    form = {
        "dialog": "nudge.create",
        "text": "今週の学びを共有しましょう",
        "kind": "weekly",
        "time": "16:00",
        "weekdays": "4",
    }
    answers = await _crash_after_the_work(bot, b.task_submit(form, conversation=room, user=lead))
    assert all(answer["task"]["value"] == t("nudges.saved") for answer in answers)
    assert await _rows(bot, nudges) == 1


@pytest.fixture
async def idea_bot(channel: TeamsChannel, sqlite_url: str) -> AsyncIterator[RunningBot]:
    running = await start_bot(channel, sqlite_url, **ROLES)
    try:
        yield running
    finally:
        await running.stop()


async def test_an_idea_and_a_comment_made_by_turns_run_twice_exist_once(idea_bot: RunningBot) -> None:
    bot = idea_bot
    box = await IdeaBox.open(bot)
    author = bot.channel.builder.user("山田 太郎")
    submit = bot.channel.builder.task_submit(
        {"dialog": "ideas.submit", "step": "post", **PAPERLESS}, conversation=await box.chat(author), user=author
    )
    answers = await _crash_after_the_work(bot, submit)
    assert [answer["task"]["value"] for answer in answers] == [t("ideas.posted")] * 2
    assert await _rows(bot, ideas) == 1
    idea = await box.latest()
    await box.posted(idea)
    assert sum(PAPERLESS["title"] in texts(card_of(a) or {}) for a in bot.channel.activities_in(box.channel.id)) == 1
    comment = bot.channel.builder.task_submit(
        {"dialog": "ideas.comments", "idea_id": idea.idea_id, "comment": "賛成です"},
        conversation=box.channel,
        user=author,
    )
    await _crash_after_the_work(bot, comment)
    assert await _rows(bot, idea_comments) == 1
    assert (await box.idea(idea.idea_id)).comments == 1


async def test_a_review_made_by_a_turn_run_twice_is_recorded_once_and_told_once(idea_bot: RunningBot) -> None:
    bot = idea_bot
    box = await IdeaBox.open(bot)
    author = bot.channel.builder.user("山田 太郎")
    await box.chat(author)
    idea = await box.propose(author)
    data = {"idea_id": idea.idea_id, f"status_{idea.idea_id}": "adopted", f"answer_{idea.idea_id}": "採用します"}
    click = bot.channel.builder.card_action("ideas.review", data, conversation=await box.chat(REVIEWER), user=REVIEWER)
    before = len(box.personal_messages(author))
    answers = await _crash_after_the_work(bot, click)
    assert [answer["value"] for answer in answers] == [t("ideas.review.saved", status=t("ideas.status.adopted"))] * 2
    await bot.run_due()
    assert len(box.personal_messages(author)) == before + 1
    assert [entry.action for entry in await box.audit()] == ["ideas.status"]
