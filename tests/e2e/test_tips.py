"""Tips through the loopback Teams channel: commands in ja/en, categories, no repeats, feedback, admin ratings."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.i18n import t
from bot.tips.library import default_library
from bot.tips.tables import tip_feedback
from tests.support.bot import RunningBot, start_bot
from tests.support.cards import card_of, visible_text
from tests.teams_channel.activities import Conversation, User

LIBRARY = default_library()


async def say(bot: RunningBot, text: str, **where: Any) -> list[dict[str, Any]]:
    """Send a message; return what the bot posted in answer."""
    activity = bot.channel.builder.message(text, **where)
    conversation_id = activity["conversation"]["id"]
    before = len(bot.channel.activities_in(conversation_id))
    status, _ = await bot.post(activity)
    assert status == 200
    return bot.channel.activities_in(conversation_id)[before:]


def actions(node: Any) -> list[dict[str, Any]]:
    """Every Action.Execute on a card, wherever it sits."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "Action.Execute":
            found.append(node)
        for key, value in node.items():
            if key != "fallback":
                found.extend(actions(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(actions(item))
    return found


def tip_id_of(activity: dict[str, Any]) -> str:
    [tip_id] = {a["data"]["tip_id"] for a in actions(card_of(activity)) if a["verb"] == "tips.feedback"}
    return tip_id


async def test_tip_in_japanese_and_english(bot: RunningBot) -> None:
    [ja] = await say(bot, "ヒント")
    tip = LIBRARY.tip(tip_id_of(ja))
    assert tip is not None
    assert tip.texts["ja"].title in visible_text(ja)
    assert {"役に立った", "いまいち"} <= {a["title"] for a in actions(card_of(ja))}

    [en] = await say(bot, "tip", locale="en-US")
    tip = LIBRARY.tip(tip_id_of(en))
    assert tip is not None
    assert tip.texts["en"].title in visible_text(en)
    assert {"Helpful", "Not really"} <= {a["title"] for a in actions(card_of(en))}


async def test_tip_of_a_category_named_in_either_language(bot: RunningBot) -> None:
    for text, locale, category in [
        ("ヒント ペーパーレス", "ja-JP", "paperless"),
        ("tip paperless", "en-US", "paperless"),
        ("ヒント ＦＡＸ", "ja-JP", "paperless"),
        ("TIP Teams", "en-US", "teams"),
        ("ヒント アナログ規制", "ja-JP", "analog_rules"),
    ]:
        [reply] = await say(bot, text, locale=locale)
        tip = LIBRARY.tip(tip_id_of(reply))
        assert tip is not None and tip.category == category, text
        assert LIBRARY.category(category).name(locale[:2]) in visible_text(reply)


async def test_category_list_as_a_card_whose_buttons_show_a_tip(bot: RunningBot) -> None:
    [ja] = await say(bot, "ヒント 一覧")
    [en] = await say(bot, "tip categories", locale="en-US")
    for reply, lang in ((ja, "ja"), (en, "en")):
        shown = visible_text(reply)
        assert all(category.name(lang) in shown for category in LIBRARY.categories)
    buttons = {a["data"].get("category") for a in actions(card_of(ja)) if a["verb"] == "tips.show"}
    assert {category.id for category in LIBRARY.categories} <= buttons

    paperless = LIBRARY.category("paperless")
    count = len(LIBRARY.in_category("paperless"))
    assert f"{paperless.name('ja')} {count}件" in visible_text(ja)  # 「ペーパーレス… 7件」, not 「(7)」
    listing = card_of(ja)
    assert listing is not None
    rows = [element for element in listing["body"] if element["type"] == "ActionSet"]
    assert all(len(row["actions"]) == 1 for row in rows)  # one per line: no name is cut short

    click = bot.channel.builder.card_action("tips.show", {"category": "bpr"})
    status, answer = await bot.post(click)
    assert status == 200 and answer["value"] == t("invoke.posted")  # the click says where the tip went
    [posted] = bot.channel.activities_in(click["conversation"]["id"])
    tip = LIBRARY.tip(tip_id_of(posted))
    assert tip is not None and tip.category == "bpr"


async def test_an_unknown_category_says_so_and_offers_the_list(bot: RunningBot) -> None:
    message, categories = await say(bot, "ヒント 宇宙開発")
    assert "宇宙開発" in visible_text(message) and "カテゴリ" in visible_text(message)
    assert LIBRARY.categories[0].name("ja") in visible_text(categories)


async def test_a_user_sees_every_tip_once_before_any_repeats(bot: RunningBot) -> None:
    user = bot.channel.builder.user()
    # Group chats, so the per-conversation rate limit doesn't slow the test down; seen-tracking is per person.
    seen = [tip_id_of((await say(bot, "tip", user=user, conversation_type="groupChat"))[0]) for _ in LIBRARY.tips]
    assert sorted(seen) == sorted(tip.id for tip in LIBRARY.tips)
    # Everything seen: a new round starts instead of running dry.
    [again] = await say(bot, "tip", user=user, conversation_type="groupChat")
    assert LIBRARY.tip(tip_id_of(again)) is not None
    # Someone else starts their own round.
    [other] = await say(bot, "tip", conversation_type="groupChat")
    assert LIBRARY.tip(tip_id_of(other)) is not None


async def feedback_rows(bot: RunningBot) -> list[tuple[str, str, bool]]:
    query = select(tip_feedback.c.tip_id, tip_feedback.c.user_key, tip_feedback.c.helpful)
    async with bot.platform.store.engine.connect() as conn:
        return [tuple(row) for row in (await conn.execute(query)).all()]


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
async def test_feedback_clicked_twice_is_one_row_and_the_card_thanks_the_user(bot: RunningBot, locale: str) -> None:
    b = bot.channel.builder
    lang = locale[:2]
    user = b.user()
    conversation = b.personal(user)
    [posted] = await say(bot, "ヒント" if lang == "ja" else "tip", user=user, conversation=conversation, locale=locale)
    tip_id = tip_id_of(posted)
    title = LIBRARY.tip(tip_id).texts[lang].title  # type: ignore[union-attr]

    for rating, button in (("helpful", "tips.button.helpful"), ("not_helpful", "tips.button.not_helpful")):
        click = b.card_action(
            "tips.feedback", {"tip_id": tip_id, "rating": rating}, user=user, conversation=conversation, locale=locale
        )
        status, body = await bot.post(click)
        assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
        refreshed = visible_text({"attachments": [{"contentType": body["type"], "content": body["value"]}]})
        assert title in refreshed and t("tips.thanks", lang, choice=t(button, lang)) in refreshed
        marked = [a["title"] for a in actions(body["value"]) if a["title"].startswith("✓ ")]
        assert marked == [f"✓ {t(button, lang)}"]  # the chosen button shows it, as a poll's does

    assert await feedback_rows(bot) == [(tip_id, user.aad_object_id, False)]

    # The Action.Submit fallback (older clients) updates the same message in place and the same row.
    submit = b.message(
        None,
        value={"verb": "tips.feedback", "tip_id": tip_id, "rating": "helpful"},
        user=user,
        conversation=conversation,
        reply_to_id=posted["id"],
        locale=locale,
    )
    assert (await bot.post(submit))[0] == 200
    updated = bot.channel.activity(conversation.id, posted["id"])
    assert updated is not None
    assert t("tips.thanks", lang, choice=t("tips.button.helpful", lang)) in visible_text(updated)
    assert await feedback_rows(bot) == [(tip_id, user.aad_object_id, True)]


async def test_feedback_for_an_unknown_tip_answers_politely(bot: RunningBot) -> None:
    status, body = await bot.post(bot.channel.builder.card_action("tips.feedback", {"tip_id": "gone", "rating": "x"}))
    assert status == 200 and "見つかりませんでした" in body["value"]
    assert await feedback_rows(bot) == []


async def test_admins_see_the_poorly_rated_tips_and_others_are_politely_refused(channel, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    admin = User(name="管理 花子")
    bot = await start_bot(channel, sqlite_url, ADMIN_AAD_OBJECT_IDS=admin.aad_object_id.upper())
    try:
        worst, mixed, liked = LIBRARY.tips[0], LIBRARY.tips[1], LIBRARY.tips[2]
        votes = [(worst, "not_helpful")] * 3 + [(mixed, "not_helpful"), (mixed, "helpful"), (liked, "helpful")]
        for tip, rating in votes:
            click = channel.builder.card_action("tips.feedback", {"tip_id": tip.id, "rating": rating})
            assert (await bot.post(click))[0] == 200

        [ratings] = await say(bot, "ヒント 評価", user=admin, conversation=Conversation.personal(admin))
        shown = visible_text(ratings)
        assert shown.index(worst.texts["ja"].title) < shown.index(mixed.texts["ja"].title)
        assert "いまいち 3件 / 役に立った 0件" in shown and "いまいち 1件 / 役に立った 1件" in shown
        assert liked.texts["ja"].title not in shown

        [english] = await say(bot, "tip ratings", user=admin, conversation_type="groupChat", locale="en-US")
        assert "Not really 3 / Helpful 0" in visible_text(english)

        [refusal] = await say(bot, "ヒント 評価")
        assert card_of(refusal) is None and "管理者のみ" in refusal["text"]
        [refusal_en] = await say(bot, "tip ratings", locale="en-US")
        assert "only administrators" in refusal_en["text"]
    finally:
        await bot.stop()


JUNK = [["x"], {"a": 1}, 99, 1.5, True, None]


@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
@pytest.mark.parametrize("junk", JUNK, ids=["list", "dict", "number", "fraction", "boolean", "null"])
async def test_every_tips_verb_answers_junk_data_with_a_notice(bot: RunningBot, junk: Any, locale: str) -> None:
    """`tips.show {category: ["x"]}` used to crash (an unhashable list) into the generic apology."""
    tip = LIBRARY.tips[0]
    cases = [
        ("tips.show", {"category": junk}),
        ("tips.feedback", {"tip_id": junk, "rating": "helpful"}),
        ("tips.feedback", {"tip_id": tip.id, "rating": junk}),
        ("tips.daily", {"command": junk}),
    ]
    assert {verb for verb, _ in cases} == {verb for verb in bot.platform.routes.verbs() if verb.startswith("tips.")}
    for verb, data in cases:
        status, body = await bot.post(bot.channel.builder.card_action(verb, data, locale=locale))
        assert status == 200, (verb, data)
        assert body["type"] == "application/vnd.microsoft.activity.message", (verb, data, body)
        assert body["value"] == t("tips.bad_request", locale[:2]), (verb, data)
    assert await feedback_rows(bot) == []
