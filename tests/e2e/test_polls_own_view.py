"""Each person sees their own vote, with everybody's totals: the shared card asks Teams to refresh it into each
viewer's own view (Universal Actions `refresh`), and the bot answers that refresh — or 「自分の回答を表示」 — with
the viewer's choice marked. And every refused vote or form says exactly what to change."""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from bot.polls.model import REFRESHED_VOTERS
from cards import polls as poll_cards
from tests.cardcheck import assert_valid_card
from tests.e2e.test_polls import LUNCH, Room, result_rows, vote_button
from tests.support.bot import RunningBot
from tests.support.cards import texts
from tests.teams_channel.activities import User

CARD = "application/vnd.microsoft.card.adaptive"


async def teams_refreshes(room: Room, card: dict[str, Any], viewer: User) -> dict[str, Any]:
    """What Teams does when `viewer` looks at `card`: invoke the card's refresh action, trigger automatic."""
    action = card["refresh"]["action"]
    execute = {"type": "Action.Execute", "verb": action["verb"], "data": action["data"]}
    value = {"action": execute, "trigger": "automatic"}
    answer = await room._post(room.bot.channel.builder.invoke("adaptiveCard/action", value, **room._where(viewer)))
    assert answer["type"] == CARD
    assert_valid_card(answer["value"])
    return answer["value"]


async def test_the_shared_card_refreshes_into_each_voters_own_view(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    b = bot.channel.builder
    first, second, onlooker = b.user("鈴木 一郎"), b.user("高橋 結衣"), b.user("田中 健太")
    await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 0}, first)
    await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 1}, second)
    await bot.platform.cards.flush()

    shared = room.shared_card(poll)
    refresh = shared["refresh"]
    assert refresh["action"]["verb"] == poll_cards.VIEW and refresh["action"]["data"] == {"poll_id": poll.poll_id}
    assert sorted(refresh["userIds"]) == sorted([first.id, second.id])  # Teams ids (29:…), not Entra ids
    assert t("polls.card.mine", choices="和食") not in texts(shared)
    assert t("polls.button.my_view") in texts(shared)  # for whoever Teams does not refresh it for

    mine = await teams_refreshes(room, shared, first)
    assert t("polls.card.mine", choices="和食") in texts(mine) and vote_button(mine, "和食")["title"] == "✓ 和食"
    assert result_rows(mine) == {"和食": (1, 50), "洋食": (1, 50), "中華": (0, 0)}  # everybody's totals
    assert t("polls.button.manage") not in texts(mine) and t("polls.button.my_view") not in texts(mine)
    assert mine["refresh"]["action"] == refresh["action"]  # shown again later, it refreshes into the own view

    theirs = await teams_refreshes(room, shared, onlooker)
    assert not [text for text in texts(theirs) if text.startswith("あなたの回答")]
    assert result_rows(theirs)["洋食"] == (1, 50)

    creators = await teams_refreshes(room, shared, room.lead)
    assert t("polls.button.manage") in texts(creators) and t("polls.button.details") in texts(creators)


async def test_multi_select_ticks_come_back_ticked(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create({**LUNCH, "multi": "true", "max_choices": "2"})
    voter = bot.channel.builder.user("鈴木 一郎")
    await room.click("poll.vote", {"poll_id": poll.poll_id, "choices": "2,0"}, voter)
    await bot.platform.cards.flush()
    mine = await teams_refreshes(room, room.shared_card(poll), voter)
    [ticks] = [element for element in mine["body"] if element["type"] == "Input.ChoiceSet"]
    assert ticks["value"] == "0,2" and ticks["wrap"] is True
    assert t("polls.card.mine", choices="和食、中華") in texts(mine)
    assert t("polls.card.change_hint.multi") in texts(mine)


async def test_an_anonymous_poll_lists_nobody_but_still_shows_each_voter_their_own_vote(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create({**LUNCH, "anonymous": "true"})
    voter = bot.channel.builder.user("鈴木 一郎")
    await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 2}, voter)
    await bot.platform.cards.flush()
    shared = room.shared_card(poll)
    assert "userIds" not in shared["refresh"] and voter.id not in repr(shared)  # who voted stays unknown
    assert t("polls.card.mine", choices="中華") in texts(await teams_refreshes(room, shared, voter))


async def test_beyond_60_voters_the_card_lists_60_and_the_rest_use_the_button(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create()
    voters = [bot.channel.builder.user(f"職員 {i}") for i in range(REFRESHED_VOTERS + 1)]
    for voter in voters:
        await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 0}, voter)
    await bot.platform.cards.flush()
    shared = room.shared_card(poll)
    assert len(shared["refresh"]["userIds"]) == REFRESHED_VOTERS
    unlisted = next(voter for voter in voters if voter.id not in shared["refresh"]["userIds"])
    button = next(action for action in shared["actions"] if action["title"] == t("polls.button.my_view"))
    mine = await room.click(button["verb"], button["data"], unlisted)
    assert t("polls.card.mine", choices="和食") in texts(mine["value"])


async def test_a_multi_select_vote_with_too_many_or_no_ticks_says_what_to_change(bot: RunningBot) -> None:
    room = await Room.install(bot)
    poll = await room.create({**LUNCH, "multi": "true", "max_choices": "2"})
    voter = bot.channel.builder.user("鈴木 一郎")
    too_many = await room.click("poll.vote", {"poll_id": poll.poll_id, "choices": "0,1,2"}, voter)
    assert too_many["value"] == (
        "選べるのは2個までです(3個選ばれています)。チェックを1個外してから、もう一度押してください。"
    )
    for nothing in ({"choices": ""}, {}):
        answer = await room.click("poll.vote", {"poll_id": poll.poll_id, **nothing}, voter)
        assert answer["value"] == t("polls.vote.none_chosen")
    english = await room.click("poll.vote", {"poll_id": poll.poll_id, "choices": "0,1,2"}, voter, "en-US")
    assert english["value"] == "You can choose up to 2 (3 are ticked). Untick 1, then press again."
    assert await room.bot.feature("polls").service.ballot_of(poll, voter.aad_object_id) == ()


async def test_a_deadline_time_without_a_date_asks_for_the_date(bot: RunningBot) -> None:
    room = await Room.install(bot)
    answer = await room.submit({"step": "preview", **LUNCH, "time": "15:00"})
    form = answer["task"]["value"]["card"]["content"]
    shown = texts(form)
    assert t("polls.error.date_missing") in shown and t("polls.error.date") not in shown
    date_input = next(index for index, element in enumerate(form["body"]) if element.get("id") == "date")
    assert form["body"][date_input + 1]["text"] == t("polls.error.date_missing")  # right under the date field
    bad_time = await room.submit({"step": "preview", **LUNCH, "date": "2099-12-04", "time": "25:00"})
    assert t("polls.error.time") in texts(bad_time["task"]["value"]["card"]["content"])


async def test_the_change_hint_fits_the_poll(bot: RunningBot) -> None:
    room = await Room.install(bot)
    voter = bot.channel.builder.user("鈴木 一郎")
    with_deadline = await room.create({**LUNCH, "date": "2099-12-04", "time": "17:00"})
    answer = await room.click("poll.vote", {"poll_id": with_deadline.poll_id, "choice": 0}, voter)
    assert t("polls.card.change_hint.single_until", deadline="12月4日(金) 17:00") in texts(answer["value"])
    multi = await room.create({**LUNCH, "multi": "true"})
    answer = await room.click("poll.vote", {"poll_id": multi.poll_id, "choices": "1"}, voter)
    shown = texts(answer["value"])
    assert t("polls.card.change_hint.multi") in shown and t("polls.card.change_hint.single") not in shown
