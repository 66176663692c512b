"""Card data is whatever a client (or someone forging one) sends: every poll verb answers values of the wrong
type — a list, an object, a number, null — or digits nobody means as a number here (², ①, Arabic-Indic ١) with a
clear notice in the user's language, never an apology."""

from __future__ import annotations

from typing import Any

import pytest

from bot.i18n import t
from bot.polls.tables import poll_ballots
from cards import poll_repeat
from cards import polls as poll_cards
from tests.e2e.test_polls import Room, count, latest_poll
from tests.support.bot import RunningBot

NOTIFY = "application/vnd.microsoft.activity.message"
# 99: no option, weekday or day of the month has that number; "١" is 1 to int() and to the regex \d.
JUNK = [["x"], {"a": 1}, 99, 1.5, True, None, "²", "①", "١"]
VERBS = [
    poll_cards.VOTE,
    poll_cards.VIEW,
    poll_cards.MANAGE,
    poll_cards.DETAILS,
    poll_cards.CLOSE,
    poll_cards.REOPEN,
    poll_cards.NON_VOTERS,
    poll_cards.REMIND_THREAD,
    poll_cards.REMIND_PERSONAL,
    poll_cards.EXPORT,
    poll_repeat.REPEAT,
]


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
@pytest.mark.parametrize(
    "junk",
    JUNK,
    ids=["list", "dict", "number", "fraction", "boolean", "null", "superscript", "circled", "arabic_indic"],
)
async def test_every_poll_verb_answers_junk_data_with_a_notice(bot: RunningBot, junk: Any, locale: str) -> None:
    assert {verb for verb in bot.platform.routes.verbs() if verb.startswith("poll.")} == set(VERBS)  # all covered
    room = await Room.install(bot)
    poll = await room.create()
    lang = locale[:2]
    ids = {"poll_id": poll.poll_id}
    cases: list[tuple[str, dict[str, Any], str]] = [(verb, {"poll_id": junk}, "polls.vote.unknown") for verb in VERBS]
    cases += [
        (poll_cards.VOTE, {**ids, "choice": junk}, "polls.vote.invalid"),
        (poll_cards.VOTE, {**ids, "choices": junk}, "polls.vote.invalid"),
        (poll_repeat.REPEAT, {**ids, "repeat_kind": junk}, "polls.repeat.invalid"),
        (
            poll_repeat.REPEAT,
            {**ids, "repeat_kind": "weekly", "repeat_at": junk, "repeat_weekday": "0"},
            "polls.repeat.invalid",
        ),
        (
            poll_repeat.REPEAT,
            {**ids, "repeat_kind": "weekly", "repeat_at": "09:00", "repeat_weekday": junk},
            "polls.repeat.invalid",
        ),
        (
            poll_repeat.REPEAT,
            {**ids, "repeat_kind": "monthly", "repeat_at": "09:00", "repeat_day": junk},
            "polls.repeat.invalid",
        ),
    ]
    for verb, data, key in cases:
        answer = await room.click(verb, data, locale=locale)  # asserts HTTP 200
        assert answer["type"] == NOTIFY and answer["value"] == t(key, lang), (verb, data, answer)
    # From a 1:1 chat with a junk ticket: not the poll's place, no vote.
    status, answer = await bot.post(
        bot.channel.builder.card_action(
            poll_cards.VOTE,
            {**ids, "choice": 0, "ticket": junk},
            conversation=bot.channel.builder.personal(room.lead),
            user=room.lead,
            locale=locale,
        )
    )
    assert status == 200 and answer == {**answer, "type": NOTIFY, "value": t("polls.elsewhere", lang)}
    assert await count(bot, poll_ballots) == 0
    assert (await latest_poll(bot)).recurrence is None
