"""A card meant for one person never replaces a shared message, whichever way the click arrived."""

from __future__ import annotations

from bot.routes import Outcome, Refresh
from bot.turn import Turn
from cards.base import card, paragraph
from tests.support.bot import RunningBot
from tests.support.cards import visible_text
from tests.teams_channel.activities import Conversation


def _register(bot: RunningBot) -> None:
    async def mine(turn: Turn) -> Outcome:
        return Refresh(card([paragraph(f"{turn.actor.name} だけの表示")]))

    async def everyones(turn: Turn) -> Outcome:
        return Refresh(card([paragraph("みんなの一覧")]), shared=True)

    bot.platform.routes.verb("test.mine")(mine)
    bot.platform.routes.verb("test.everyones")(everyones)


async def _shared_card_in_channel(bot: RunningBot) -> tuple[Conversation, str]:
    channel = Conversation.channel()
    await bot.post(bot.channel.builder.installation_update("add", conversation=channel))
    delivery = await bot.platform.sender.post(channel.id, {"type": "message", "text": "共有カード"})
    bot.channel.reset()
    return channel, delivery.activity_id or ""


async def test_a_personal_view_clicked_on_an_old_client_goes_to_the_1_1_chat(bot: RunningBot) -> None:
    _register(bot)
    channel, shared_id = await _shared_card_in_channel(bot)
    b = bot.channel.builder
    user = b.user("鈴木 一郎")
    personal = b.personal(user)
    await bot.post(b.installation_update("add", conversation=personal, user=user))
    bot.channel.reset()
    click = b.message(None, value={"verb": "test.mine"}, reply_to_id=shared_id, conversation=channel, user=user)
    assert (await bot.post(click))[0] == 200
    assert bot.channel.calls(operation="update") == []  # the shared message is untouched
    [private] = bot.channel.activities_in(personal.id)
    assert "鈴木 一郎 だけの表示" in visible_text(private)


async def test_without_a_1_1_chat_the_user_is_told_how_to_see_it(bot: RunningBot) -> None:
    _register(bot)
    channel, shared_id = await _shared_card_in_channel(bot)
    b = bot.channel.builder
    for locale, expected in (("ja-JP", "個人チャット"), ("en-US", "1:1 chat")):
        click = b.message(None, value={"verb": "test.mine"}, reply_to_id=shared_id, conversation=channel, locale=locale)
        assert (await bot.post(click))[0] == 200
        assert expected in bot.channel.activities_in(channel.id)[-1]["text"]
    assert bot.channel.calls(operation="update") == []


async def test_a_shared_card_replaces_the_message_for_everyone_on_both_paths(bot: RunningBot) -> None:
    _register(bot)
    channel, shared_id = await _shared_card_in_channel(bot)
    b = bot.channel.builder
    submit = b.message(None, value={"verb": "test.everyones"}, reply_to_id=shared_id, conversation=channel)
    assert (await bot.post(submit))[0] == 200
    execute = b.card_action("test.everyones", reply_to_id=shared_id, conversation=channel)
    status, body = await bot.post(execute)
    assert status == 200 and "みんなの一覧" in str(body["value"])
    updates = bot.channel.calls(operation="update")
    assert len(updates) == 2 and all(u.activity_id == shared_id for u in updates)


async def test_a_personal_view_by_action_execute_is_only_the_answer(bot: RunningBot) -> None:
    _register(bot)
    channel, shared_id = await _shared_card_in_channel(bot)
    status, body = await bot.post(
        bot.channel.builder.card_action("test.mine", reply_to_id=shared_id, conversation=channel)
    )
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert bot.channel.calls() == []
