"""Install, talk, retry, uninstall — through signed HTTP into the bot and the loopback Teams channel."""

from __future__ import annotations

import asyncio

from bot.feature import introductions
from bot.i18n import t
from dialogs import FEATURES
from tests.support.bot import RunningBot
from tests.support.cards import card_of, texts, visible_text


async def test_install_sends_exactly_one_welcome_card_even_when_teams_repeats_the_event(any_bot: RunningBot) -> None:
    bot = any_bot  # on SQLite and on PostgreSQL
    b = bot.channel.builder
    user = b.user()
    conversation = b.personal(user)
    for activity in (
        b.installation_update("add", conversation=conversation, user=user),
        b.conversation_update(conversation=conversation, user=user),  # Teams sends both for one install
        b.installation_update("add", conversation=conversation, user=user),
    ):
        status, _ = await bot.post(activity)
        assert status == 200
    posted = bot.channel.activities_in(conversation.id)
    assert len(posted) == 1
    assert "オープン&フラットBotへようこそ" in visible_text(posted[0])
    record = await bot.platform.store.conversations.get(conversation.id)
    assert record is not None and record.installed and record.service_url == bot.channel.service_url


async def test_welcome_follows_the_installers_english_locale(bot: RunningBot) -> None:
    b = bot.channel.builder
    activity = b.installation_update("add", conversation_type="channel", locale="en-US")
    await bot.post(activity)
    posted = bot.channel.activities_in(activity["conversation"]["id"])
    assert len(posted) == 1
    assert "Welcome to Open & Flat Bot" in visible_text(posted[0])


async def test_help_in_japanese_and_english(bot: RunningBot) -> None:
    b = bot.channel.builder
    ja = b.message("ヘルプ")
    en = b.message("help", locale="en-US")
    for activity in (ja, en):
        status, _ = await bot.post(activity)
        assert status == 200
    [ja_reply] = bot.channel.activities_in(ja["conversation"]["id"])
    [en_reply] = bot.channel.activities_in(en["conversation"]["id"])
    assert "使い方" in visible_text(ja_reply) and "ヘルプ" in visible_text(ja_reply)
    assert "How to use" in visible_text(en_reply)
    # Replies thread under the user's message, as botbuilder does.
    assert bot.channel.calls(operation="reply")[0].activity_id == ja["id"]


async def test_channel_mention_is_stripped_before_routing(bot: RunningBot) -> None:
    activity = bot.channel.builder.message("ＨＥＬＰ", conversation_type="channel", mention_bot=True, locale="en-US")
    await bot.post(activity)
    [reply] = bot.channel.activities_in(activity["conversation"]["id"])
    assert card_of(reply) is not None and "How to use" in visible_text(reply)


async def test_unknown_text_gets_a_hint_not_silence(bot: RunningBot) -> None:
    activity = bot.channel.builder.message("こんにちは")
    await bot.post(activity)
    [reply] = bot.channel.activities_in(activity["conversation"]["id"])
    assert "こんにちは" in visible_text(reply) and "ヘルプ" in visible_text(reply)


async def test_retried_activity_has_no_second_effect(any_bot: RunningBot) -> None:
    bot = any_bot  # on SQLite and on PostgreSQL
    activity = bot.channel.builder.message("help")
    first, second = await asyncio.gather(bot.post(activity), bot.post(activity))
    third = await bot.post(activity)
    assert {first[0], second[0], third[0]} == {200}
    assert len(bot.channel.activities_in(activity["conversation"]["id"])) == 1


async def test_uninstall_marks_the_conversation_and_nothing_is_posted_there_again(any_bot: RunningBot) -> None:
    bot = any_bot  # on SQLite and on PostgreSQL
    b = bot.channel.builder
    activity = b.installation_update("add", conversation_type="groupChat")
    conversation_id = activity["conversation"]["id"]
    await bot.post(activity)
    removal = b.installation_update("remove", conversation_type="groupChat", conversation_id=conversation_id)
    status, _ = await bot.post(removal)
    assert status == 200
    record = await bot.platform.store.conversations.get(conversation_id)
    assert record is not None and not record.installed and record.status == "removed"
    calls_before = len(bot.channel.calls())
    delivery = await bot.platform.sender.post(conversation_id, {"type": "message", "text": "お知らせ"})
    assert delivery.status == "skipped"
    assert len(bot.channel.calls()) == calls_before


async def test_bot_removed_through_conversation_update_also_counts_as_uninstall(bot: RunningBot) -> None:
    b = bot.channel.builder
    install = b.conversation_update(conversation_type="channel")
    conversation_id = install["conversation"]["id"]
    await bot.post(install)
    removal = b.conversation_update(
        conversation_type="channel",
        conversation_id=conversation_id,
        members_removed=[{"id": f"28:{bot.channel.app_id}"}],
    )
    await bot.post(removal)
    record = await bot.platform.store.conversations.get(conversation_id)
    assert record is not None and not record.installed


async def test_foreign_tenant_has_no_effect_and_nothing_is_stored(channel, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    from tests.support.bot import start_bot

    bot = await start_bot(channel, sqlite_url, ALLOWED_TENANT_IDS=channel.tenant_id)
    try:
        activity = channel.builder.message("help", tenant_id="11111111-2222-3333-4444-555555555555")
        status, _ = await bot.post(activity)
        assert status == 403
        assert await bot.platform.store.conversations.get(activity["conversation"]["id"]) is None
        assert (
            await bot.platform.store.activities.holders([(activity["conversation"]["id"], activity["id"])]) == {}
        )  # never seen
        assert channel.calls() == []
        allowed = channel.builder.message("help")
        assert (await bot.post(allowed))[0] == 200
        assert len(channel.activities_in(allowed["conversation"]["id"])) == 1
    finally:
        await bot.stop()


async def test_card_click_invoke_answers_200_with_its_body(bot: RunningBot) -> None:
    activity = bot.channel.builder.card_action("help", locale="en-US")
    status, body = await bot.post(activity)
    assert status == 200
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.activity.message"
    [posted] = bot.channel.activities_in(activity["conversation"]["id"])
    assert "How to use" in visible_text(posted)


async def test_unknown_card_verb_answers_with_a_readable_message(bot: RunningBot) -> None:
    status, body = await bot.post(bot.channel.builder.card_action("no-such-verb"))
    assert status == 200
    assert "対応していません" in body["value"]


async def test_action_submit_fallback_reaches_the_same_route(bot: RunningBot) -> None:
    activity = bot.channel.builder.message(None, value={"verb": "help"}, locale="en-US")
    assert (await bot.post(activity))[0] == 200
    [posted] = bot.channel.activities_in(activity["conversation"]["id"])
    assert "How to use" in visible_text(posted)


async def test_language_choice_overrides_the_teams_locale(bot: RunningBot) -> None:
    b = bot.channel.builder
    user = b.user()
    conversation = b.personal(user)
    await bot.post(b.message("言語 英語", user=user, conversation=conversation))
    await bot.post(b.message("ヘルプ", user=user, conversation=conversation))
    confirmation, help_reply = bot.channel.activities_in(conversation.id)
    assert "English" in confirmation["text"]
    assert "How to use" in visible_text(help_reply)


async def test_a_reply_rejected_by_teams_fails_the_turn_so_teams_retries_it(bot: RunningBot) -> None:
    activity = bot.channel.builder.message("help")
    bot.channel.inject(500, count=1, path_contains="activities")
    status, body = await bot.post(activity)
    assert status == 500 and "correlation id" in body["error"]["message"]
    # The retry is processed: the failed attempt did not burn the activity id.
    assert (await bot.post(activity))[0] == 200
    assert len(bot.channel.activities_in(activity["conversation"]["id"])) == 1


async def test_welcome_and_help_offer_exactly_the_features_that_run(bot: RunningBot) -> None:
    """Nothing is promised that the bot can't do: the offers come from the running features' introductions."""
    b = bot.channel.builder
    install = b.installation_update("add", conversation_type="channel")
    await bot.post(install)
    [welcome] = bot.channel.activities_in(install["conversation"]["id"])
    ask = b.message("ヘルプ")
    await bot.post(ask)
    [help_] = bot.channel.activities_in(ask["conversation"]["id"])
    offers = [t(key, "ja") for key in introductions(FEATURES)]
    assert offers and all(t("offer.item", "ja", text=offer) in texts(card_of(welcome)) for offer in offers)
    assert all(t("offer.item", "ja", text=offer) in texts(card_of(help_)) for offer in offers)
    for shown in (visible_text(welcome), visible_text(help_)):
        assert "アイデア投稿" in shown and "お知らせ配信" not in shown


async def test_a_channel_welcome_follows_the_installers_chosen_language_over_the_client_locale(bot: RunningBot) -> None:
    b = bot.channel.builder
    installer = b.user("佐藤 花子")
    await bot.post(b.message("言語 日本語", user=installer, locale="en-US"))
    install = b.installation_update("add", conversation_type="channel", user=installer, locale="en-US")
    await bot.post(install)
    [welcome] = bot.channel.activities_in(install["conversation"]["id"])
    assert "オープン&フラットBotへようこそ" in visible_text(welcome)
