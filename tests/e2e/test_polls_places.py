"""A poll answers only where it was posted: its chat or channel (any reply thread of it) in its tenant. A poll id
copied into another channel, another tenant's chat or a 1:1 chat counts no vote, shows nothing of the poll and
opens none of the creator's tools; the one exception is the personal reminder, whose buttons carry a ticket for
the person it was sent to."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.i18n import t
from bot.polls.tables import poll_ballots
from cards import poll_repeat
from cards import polls as poll_cards
from tests.e2e.test_polls import Room, count, latest_poll, shown_totals
from tests.support.bot import RunningBot
from tests.support.cards import card_of, texts
from tests.teams_channel.activities import Conversation, User

OTHER_TENANT = "99999999-8888-4777-8666-555555555555"
CREATOR_VERBS = [
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


def elsewhere(bot: RunningBot, room: Room, where: str) -> tuple[Conversation, User]:
    """A conversation that is not the poll's, and the poll's creator (or their namesake) in it."""
    if where == "other channel":
        return Conversation.channel(), room.lead
    if where == "other tenant":
        return Conversation.group_chat(tenant_id=OTHER_TENANT), User(
            "佐藤 花子", room.lead.aad_object_id, tenant_id=OTHER_TENANT
        )
    if where == "same id, other tenant":
        return replace(room.conversation, tenant_id=OTHER_TENANT), room.lead
    return bot.channel.builder.personal(room.lead), room.lead


async def click(
    bot: RunningBot, conversation: Conversation, user: User, verb: str, data: dict[str, Any], locale: str
) -> dict[str, Any]:
    status, body = await bot.post(
        bot.channel.builder.card_action(verb, data, conversation=conversation, user=user, locale=locale)
    )
    assert status == 200, body
    return body


PLACES = ["other channel", "other tenant", "same id, other tenant", "1:1"]


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
@pytest.mark.parametrize("where", PLACES)
async def test_a_poll_id_used_elsewhere_counts_nothing_and_shows_nothing(
    bot: RunningBot, where: str, locale: str
) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    conversation, creator = elsewhere(bot, room, where)
    lang = locale[:2]
    before = len(bot.channel.activities_in(conversation.id))
    clicks: list[tuple[str, dict[str, Any]]] = [
        (poll_cards.VOTE, {"poll_id": poll.poll_id, "choice": 0}),
        (poll_cards.VIEW, {"poll_id": poll.poll_id}),
        *[(verb, {"poll_id": poll.poll_id, "repeat_kind": "none"}) for verb in CREATOR_VERBS],
    ]
    for verb, data in clicks:
        answer = await click(bot, conversation, creator, verb, data, locale)
        assert answer["type"] == "application/vnd.microsoft.activity.message", (verb, answer)
        assert answer["value"] == t("polls.elsewhere", lang), verb
        assert poll.question not in repr(answer)
    assert await count(bot, poll_ballots) == 0
    assert (await latest_poll(bot)).is_open  # poll.close from elsewhere closed nothing
    assert len(bot.channel.activities_in(conversation.id)) == before  # no reminder, no copy posted


async def test_a_reply_thread_of_the_polls_channel_is_the_same_place(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    thread = replace(room.conversation, id=f"{room.conversation.id};messageid={poll.activity_id}")
    voter = bot.channel.builder.user("鈴木 一郎")
    answer = await click(bot, thread, voter, poll_cards.VOTE, {"poll_id": poll.poll_id, "choice": 1}, "ja-JP")
    assert shown_totals(answer["value"])["洋食"] == 1
    tools = await click(bot, thread, room.lead, poll_cards.MANAGE, {"poll_id": poll.poll_id}, "ja-JP")
    assert t("polls.manage.title") in texts(tools["value"])


async def test_a_personal_reminder_votes_for_its_recipient_only(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    b = bot.channel.builder
    waiting, stranger = b.user("田中 次郎"), b.user("高橋 三郎")
    bot.channel.set_members([room.lead, waiting], room.conversation.id)
    for person in (waiting, stranger):
        assert (await bot.post(b.installation_update("add", conversation=b.personal(person), user=person)))[0] == 200
    notice = await room.click(poll_cards.REMIND_PERSONAL, {"poll_id": poll.poll_id})
    assert notice["value"] == t("polls.reminded.personal", sent=1, unreachable=0)
    await bot.run_due()  # the reminders go out as timed work, after the click has its answer

    reminder = card_of(bot.channel.activities_in(b.personal(waiting).id)[-1])
    assert reminder is not None and t("polls.button.manage") not in texts(reminder)  # no creator tools in a 1:1
    button = next(
        a for e in reminder["body"] if e["type"] == "ActionSet" for a in e["actions"] if a["data"].get("choice") == 2
    )
    assert button["data"]["ticket"]

    # Someone else's 1:1, with the ticket copied: refused.
    copied = await click(bot, b.personal(stranger), stranger, button["verb"], button["data"], "ja-JP")
    assert copied["value"] == t("polls.elsewhere") and await count(bot, poll_ballots) == 0
    forged = {**button["data"], "ticket": "0" * 64}
    refused = await click(bot, b.personal(waiting), waiting, button["verb"], forged, "ja-JP")
    assert refused["value"] == t("polls.elsewhere") and await count(bot, poll_ballots) == 0

    # The recipient's own click counts in the poll, and the answer keeps the ticket for a change of mind.
    answer = await click(bot, b.personal(waiting), waiting, button["verb"], button["data"], "ja-JP")
    assert shown_totals(answer["value"])["中華"] == 1
    again = next(
        a
        for e in answer["value"]["body"]
        if e["type"] == "ActionSet"
        for a in e["actions"]
        if a["data"].get("choice") == 0
    )
    changed = await click(bot, b.personal(waiting), waiting, again["verb"], again["data"], "ja-JP")
    assert shown_totals(changed["value"]) == {"和食": 1, "洋食": 0, "中華": 0}
    service = bot.feature("polls").service
    assert await service.ballot_of(poll, waiting.aad_object_id) == (0,)
