"""Payloads Teams would never send, sent anyway: clear 4xx answers, no 500, and nobody else's turn harmed.

Runs on SQLite and PostgreSQL: PostgreSQL refuses over-long values and NUL characters that SQLite stores.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.routes import Outcome
from bot.turn import Turn
from tests.support.bot import RunningBot
from tests.support.cards import visible_text


def _set(activity: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    node = activity
    for step in path[:-1]:
        node = node.setdefault(step, {})
    node[path[-1]] = value
    return activity


OVERSIZED = {
    "conversation id of 5,000 characters": (("conversation", "id"), "a:" + "x" * 5000),
    "activity id of 600 characters": (("id",), "i" * 600),
    "locale of 63 characters": (("locale",), "ja-JP-" + "x" * 57),
    "conversation type of 100 characters": (("conversation", "conversationType"), "p" * 100),
    "tenant id of 300 characters": (("channelData", "tenant", "id"), "t" * 300),
    "aadObjectId of 600 characters": (("from", "aadObjectId"), "u" * 600),
    "tenant id that is a number": (("channelData", "tenant", "id"), 12345),
    "NUL in the text": (("text",), "he\x00lp"),
}


@pytest.mark.parametrize("case", sorted(OVERSIZED))
async def test_values_no_teams_client_sends_are_refused_with_400_and_harm_nobody(
    any_bot: RunningBot, case: str
) -> None:
    b = any_bot.channel.builder
    path, value = OVERSIZED[case]
    bad = _set(b.message("help"), path, value)
    token = any_bot.channel.sign_channel_token(service_url=bad["serviceUrl"])
    neighbours = [b.message("help") for _ in range(10)]
    results = await asyncio.gather(any_bot.post(bad, token=token), *(any_bot.post(n) for n in neighbours))
    assert results[0][0] == 400 and "Traceback" not in str(results[0][1])
    assert [status for status, _ in results[1:]] == [200] * 10
    assert all(len(any_bot.channel.activities_in(n["conversation"]["id"])) == 1 for n in neighbours)


async def test_malformed_mentions_and_members_are_tolerated(any_bot: RunningBot) -> None:
    b = any_bot.channel.builder
    odd_mention = b.message("<at>Bot</at> help", locale="en-US")
    odd_mention["entities"] = [
        {"type": "mention", "text": "<at>Bot</at>", "mentioned": "28:x"},
        {"type": "mention", "text": 5, "mentioned": {"id": odd_mention["recipient"]["id"]}},
        {"type": "clientInfo", "locale": "en-US"},
    ]
    assert (await any_bot.post(odd_mention))[0] == 200
    [reply] = any_bot.channel.activities_in(odd_mention["conversation"]["id"])
    assert "help" in visible_text(reply)  # the unknown-text hint: the text was left as it came
    nobody = b.conversation_update(conversation_type="groupChat", members_added=[None])  # type: ignore[list-item]
    assert (await any_bot.post(nobody))[0] == 200


async def test_a_message_with_no_text_gets_a_hint_in_the_users_language(any_bot: RunningBot) -> None:
    b = any_bot.channel.builder
    for locale, expected in (("ja-JP", "読み取れませんでした"), ("en-US", "couldn't read")):
        image_only = b.message(None, locale=locale)
        image_only["attachments"] = [{"contentType": "image/png", "contentUrl": "https://example.org/a.png"}]
        assert (await any_bot.post(image_only))[0] == 200
        [reply] = any_bot.channel.activities_in(image_only["conversation"]["id"])
        assert expected in reply["text"]


@pytest.mark.parametrize("kind", ["messageReaction", "typing", "event", "somethingNew"])
async def test_other_activity_types_are_accepted_quietly(any_bot: RunningBot, kind: str) -> None:
    activity = any_bot.channel.builder.message("help")
    activity["type"] = kind
    assert (await any_bot.post(activity))[0] == 200
    assert any_bot.channel.calls() == []


async def test_a_dialog_that_fails_answers_in_the_dialog_frame(any_bot: RunningBot) -> None:
    async def broken(turn: Turn) -> Outcome:
        raise RuntimeError("boom")

    any_bot.platform.routes.dialog("test.broken", fetch=broken, submit=broken)
    status, body = await any_bot.post(any_bot.channel.builder.task_fetch({"dialog": "test.broken"}))
    assert status == 200 and body["task"]["type"] == "message" and "問い合わせ番号" in body["task"]["value"]


async def test_an_unreachable_service_url_fails_the_turn_within_teams_timeout(bot: RunningBot) -> None:
    import time

    activity = bot.channel.builder.message("help")
    activity["serviceUrl"] = "http://127.0.0.1:9/teams/"  # nothing listens there
    token = bot.channel.sign_channel_token(service_url=activity["serviceUrl"])
    started = time.monotonic()
    status, body = await bot.post(activity, token=token)
    assert status == 500 and "correlation id" in body["error"]["message"]
    assert time.monotonic() - started < 4.5
