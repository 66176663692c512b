"""What a person typed, the bot shows exactly as typed: in a channel nobody can make the bot post a clickable
`[再ログイン](https://evil.example)`, bold text or a fake @mention under its name.

Teams renders Markdown in a message's text, in a card's TextBlocks and in Facts; a RichTextBlock's TextRun is
shown as written ("Markdown is not supported" — Adaptive Cards schema; the official renderer sets it as
innerText). So the reply is read the way Teams would: no link, bold or mention syntax in anything rendered as
Markdown, and the typed text intact in a TextRun.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import t
from dialogs.polls import REMIND
from tests.e2e.test_polls import Room as PollRoom
from tests.support.bot import RunningBot
from tests.support.cards import MARKDOWN_LINK, literal_texts, markdown_texts
from tests.teams_channel.activities import Conversation

LINK = "[再ログイン](https://evil.example)"
MARKUP = "**至急** <at>全員</at>"
COMMANDS = {
    "an unknown command": "{typed}",
    "an unknown tip category": "ヒント {typed}",
    "a time the daily tip can't read": "毎日ヒント オン {typed}",
}


def assert_shown_as_typed(replies: list[dict[str, Any]], typed: str) -> None:
    rendered = [text for reply in replies for text in markdown_texts(reply)]
    assert not [text for text in rendered if MARKDOWN_LINK.search(text) or "**" in text or "<at>" in text], rendered
    assert any(typed in text for reply in replies for text in literal_texts(reply)), replies


@pytest.mark.parametrize("typed", [LINK, MARKUP], ids=["link", "bold and mention"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
async def test_typed_markup_comes_back_as_plain_text(bot: RunningBot, command: str, typed: str) -> None:
    channel = Conversation.channel()
    text = COMMANDS[command].format(typed=typed)
    activity = bot.channel.builder.message(text, conversation=channel, mention_bot=True)
    assert (await bot.post(activity))[0] == 200
    assert_shown_as_typed(bot.channel.activities_in(channel.id), typed)


async def test_a_poll_question_and_options_are_posted_as_typed(bot: RunningBot) -> None:
    channel = Conversation.channel()
    form = {"dialog": "createPoll", "step": "post", "question": LINK, "options": f"{MARKUP}\nいいえ"}
    status, _ = await bot.post(bot.channel.builder.task_submit(form, conversation=channel))
    assert status == 200
    [poll] = bot.channel.activities_in(channel.id)
    assert_shown_as_typed([poll], LINK)
    assert_shown_as_typed([poll], MARKUP)


async def test_a_nudge_text_is_confirmed_as_typed(bot: RunningBot) -> None:
    channel = Conversation.channel()
    form = {"dialog": "nudge.create", "text": LINK, "kind": "weekly", "time": "16:00", "weekdays": "4"}
    status, _ = await bot.post(bot.channel.builder.task_submit(form, conversation=channel))
    assert status == 200
    [confirmation] = bot.channel.activities_in(channel.id)
    assert_shown_as_typed([confirmation], LINK)


async def test_a_poll_reminder_repeats_the_question_as_typed(bot: RunningBot) -> None:
    """Anonymous polls are reminded with a notice (the question in a TextRun); named ones @mention who has not
    voted in an XML message, where the question's markup is escaped and only the real mentions are tags."""
    question = f"{LINK} {MARKUP}"
    deadline_day = (datetime.now(ZoneInfo("Asia/Tokyo")) + timedelta(days=2)).date().isoformat()
    waiting = bot.channel.builder.user("田中 次郎")
    reminders = []
    for anonymous in ("true", "false"):
        room = await PollRoom.install(bot)
        bot.channel.set_members([room.lead, waiting], room.conversation.id)
        form = {"question": question, "options": "はい\nいいえ", "anonymous": anonymous}
        poll = await room.create({**form, "date": deadline_day, "time": "10:00", "remind": "60"})
        remind_at = await bot.planned(REMIND, poll.poll_id)
        assert remind_at is not None
        await bot.run_timed(REMIND, poll.poll_id, remind_at)
        reminders.append(room.posted()[-1])
    notice, mentions = reminders
    assert_shown_as_typed([notice], question)
    assert mentions["textFormat"] == "xml"
    reminder = t("polls.reminder.thread", people="", question=html.escape(question, quote=False)).strip()
    assert mentions["text"].endswith(reminder)
    assert re.findall("<at>(.*?)</at>", mentions["text"]) == [waiting.name]
