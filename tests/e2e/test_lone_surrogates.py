"""A lone surrogate (`"\\ud800"` as a JSON escape: valid JSON, not valid Unicode) never fails a turn.

It can travel anywhere an activity carries a string — the text, a card's data, a person's or a chat's name —
and from there into the store (PostgreSQL refuses it in text and JSON), a reply or a log line. The bot reads
it as U+FFFD (�) and answers; Teams' retry of the same activity is answered too. Runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.bot import RunningBot
from tests.support.cards import visible_text
from tests.teams_channel.activities import ActivityBuilder, Conversation

LONE = "\ud800"
SHOWN = "\ufffd"

ACTIVITIES: dict[str, Callable[[ActivityBuilder], dict[str, Any]]] = {
    "message text": lambda b: b.message(f"ランチ{LONE}"),
    "a person's name": lambda b: b.installation_update("add", user=b.user(f"山田{LONE} 太郎")),
    "a group chat's name": lambda b: b.installation_update(
        "add", conversation=Conversation.group_chat(name=f"企画{LONE}")
    ),
    "a team's name": lambda b: b.installation_update(
        "add", conversation=Conversation.channel(team_name=f"推進{LONE}チーム")
    ),
    "card data in an invoke": lambda b: b.task_submit(
        {"dialog": "createPoll", "step": "post", "question": f"ランチ{LONE}?", "options": f"和食\n洋{LONE}食"}
    ),
}
# What the reply in the conversation says when the surrogate reached it (as U+FFFD).
ECHOED = {"message text": f"ランチ{SHOWN}", "card data in an invoke": f"ランチ{SHOWN}?"}


@pytest.mark.parametrize("case", sorted(ACTIVITIES))
async def test_a_lone_surrogate_anywhere_is_answered_and_so_is_the_retry(any_bot: RunningBot, case: str) -> None:
    activity = ACTIVITIES[case](any_bot.channel.builder)
    conversation_id = activity["conversation"]["id"]
    first = await any_bot.post(activity)
    assert first[0] == 200, first
    replies = any_bot.channel.activities_in(conversation_id)
    assert len(replies) == 1
    if case in ECHOED:
        assert ECHOED[case] in visible_text(replies[0])
    retry = await any_bot.post(activity)  # Teams re-sends what it thinks was not answered in time
    assert retry[0] == 200, retry
    assert len(any_bot.channel.activities_in(conversation_id)) == 1  # answered once, not twice
    follow_up = any_bot.channel.builder.message("help", conversation=_conversation_of(activity))
    assert (await any_bot.post(follow_up))[0] == 200


def _conversation_of(activity: dict[str, Any]) -> Conversation:
    conversation = activity["conversation"]
    return Conversation(conversation["id"], conversation["conversationType"], conversation["tenantId"])
