"""Tip of the day: subscribing a channel, its timed work in Asia/Tokyo, working days only, no repeats, restarts.

The timed work runs with the bot's clock stopped at a fixed moment instead of waiting for it; when it is due next
is read from the database, so both halves (when it wakes up, what it does then) are covered without sleeping.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import t
from bot.tips.library import Library, default_library
from bot.tips.store import TipStore
from bot.workdays import is_working_day
from dialogs.tips import DAILY
from tests.e2e.test_tips import say, tip_id_of
from tests.support.bot import RunningBot, start_bot
from tests.support.cards import visible_text
from tests.teams_channel.activities import Conversation, User
from tests.teams_channel.channel import TeamsChannel

TOKYO = ZoneInfo("Asia/Tokyo")
LIBRARY = default_library()
FRIDAY = datetime(2026, 11, 27, 8, 30, tzinfo=TOKYO)
SATURDAY = datetime(2026, 11, 28, 8, 30, tzinfo=TOKYO)
LABOUR_THANKSGIVING = datetime(2026, 11, 23, 8, 30, tzinfo=TOKYO)  # 勤労感謝の日, a Monday
YEAR_END = datetime(2026, 12, 29, 8, 30, tzinfo=TOKYO)  # 年末年始, a Tuesday


async def subscribed_channel(
    bot: RunningBot, command: str = "毎日ヒント オン 8:30", locale: str = "ja-JP", user: User | None = None
) -> str:
    conversation = Conversation.channel()
    [status] = await say(bot, command, conversation=conversation, locale=locale, mention_bot=True, user=user)
    assert "8:30" in visible_text(status) or "9:00" in visible_text(status)
    bot.channel.reset()
    return conversation.id


def store(bot: RunningBot) -> TipStore:
    return TipStore(bot.platform.store.engine)


async def post_tip_of_the_day(bot: RunningBot, place: str, at: datetime) -> list[dict]:
    """Run the place's tip of the day as if it fell due at `at`; what it posted there."""
    before = len(bot.channel.activities_in(place))
    await bot.run_timed(DAILY, place, at)
    return bot.channel.activities_in(place)[before:]


async def test_subscribing_plans_the_tip_at_that_time_in_tokyo(bot: RunningBot) -> None:
    conversation_id = await subscribed_channel(bot)
    due = await bot.planned(DAILY, conversation_id)  # the timed work in the database
    assert due is not None and due.utcoffset() == timedelta(hours=9)
    assert (due.hour, due.minute) == (8, 30)
    assert due.weekday() < 5 and due > datetime.now(TOKYO)

    [state] = await say(bot, "毎日ヒント", conversation=Conversation(conversation_id, "channel"))
    assert "開庁日の 8:30" in visible_text(state)
    subscription = await store(bot).subscription(conversation_id)
    assert subscription is not None and (subscription.hour, subscription.minute, subscription.lang) == (8, 30, "ja")


async def test_default_time_is_nine_and_off_removes_row_and_job(bot: RunningBot) -> None:
    subscriber = bot.channel.builder.user("Jane Smith")
    conversation_id = await subscribed_channel(bot, "daily tip on", locale="en-US", user=subscriber)
    due = await bot.planned(DAILY, conversation_id)
    assert due is not None and (due.hour, due.minute) == (9, 0)

    # The status card's button reaches the same handler: the subscriber turns it off.
    click = bot.channel.builder.card_action(
        "tips.daily",
        {"command": "off"},
        conversation=Conversation(conversation_id, "channel"),
        locale="en-US",
        user=subscriber,
    )
    status, answer = await bot.post(click)
    assert status == 200 and answer["value"] == t("invoke.posted", "en")  # not an empty bar under the card
    [state] = bot.channel.activities_in(conversation_id)
    assert "Daily tip stopped" in visible_text(state) and "won't get a daily tip any more" in visible_text(state)
    assert await bot.planned(DAILY, conversation_id) is None
    assert await store(bot).subscription(conversation_id) is None
    assert await post_tip_of_the_day(bot, conversation_id, FRIDAY) == []


async def test_the_job_posts_on_a_working_day_and_not_on_weekends_or_holidays(bot: RunningBot) -> None:
    assert is_working_day(FRIDAY.date())
    assert not any(is_working_day(d.date()) for d in (SATURDAY, LABOUR_THANKSGIVING, YEAR_END))
    conversation_id = await subscribed_channel(bot)

    for day_off in (SATURDAY, LABOUR_THANKSGIVING, YEAR_END):
        assert await post_tip_of_the_day(bot, conversation_id, day_off) == []
    assert bot.channel.activities_in(conversation_id) == []

    [posted] = await post_tip_of_the_day(bot, conversation_id, FRIDAY)
    assert "今日のシン・トセイヒント" in visible_text(posted)
    assert LIBRARY.tip(tip_id_of(posted)) is not None

    # The same day again (a coalesced run after a restart): nothing more.
    assert await post_tip_of_the_day(bot, conversation_id, FRIDAY.replace(hour=11)) == []
    assert len(bot.channel.activities_in(conversation_id)) == 1


async def test_no_repeats_in_a_conversation_until_the_library_is_exhausted(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = Library(LIBRARY.tips[:3], LIBRARY.categories)
    monkeypatch.setattr(bot.feature("tips").service, "library", small)
    conversation_id = await subscribed_channel(bot)
    working_days = [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]
    assert all(is_working_day(day) for day in working_days)
    for day in working_days:
        posted_then = await post_tip_of_the_day(
            bot, conversation_id, datetime(*day.timetuple()[:3], 8, 30, tzinfo=TOKYO)
        )
        assert len(posted_then) == 1
    posted = [tip_id_of(activity) for activity in bot.channel.activities_in(conversation_id)]
    assert sorted(posted[:3]) == sorted(tip.id for tip in small.tips)  # every tip once…
    assert posted[3] in posted[:3]  # …then a new round


async def test_english_subscription_posts_in_english(bot: RunningBot) -> None:
    conversation_id = await subscribed_channel(bot, "daily tip on 8:30", locale="en-US")
    [posted] = await post_tip_of_the_day(bot, conversation_id, FRIDAY)
    assert "Today's Shin-Tosei tip" in visible_text(posted) and "Helpful" in visible_text(posted)


async def test_subscriptions_survive_a_restart(channel, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    first = await start_bot(channel, sqlite_url)
    try:
        conversation_id = await subscribed_channel(first)
        before = await first.planned(DAILY, conversation_id)
    finally:
        await first.stop()

    second = await start_bot(channel, sqlite_url)
    try:
        due = await second.planned(DAILY, conversation_id)
        assert due is not None and due == before
        [state] = await say(second, "毎日ヒント", conversation=Conversation(conversation_id, "channel"))
        assert "開庁日の 8:30" in visible_text(state)
        assert len(await post_tip_of_the_day(second, conversation_id, FRIDAY)) == 1
    finally:
        await second.stop()


@pytest.mark.parametrize(
    ("command", "locale", "expected"),
    [
        ("毎日ヒント オン 25:61", "ja-JP", ["「25:61」", "0:00〜23:59", "設定は変更していません"]),
        ("毎日ヒント オン abc", "ja-JP", ["「abc」", "時:分"]),
        ("daily tip on 25:61", "en-US", ['"25:61"', "between 0:00 and 23:59", "Nothing was changed"]),
        ("daily tip on abc", "en-US", ['"abc"', "hours and minutes"]),
        ("毎日ヒント オン ٨:٣٠", "ja-JP", ["「٨:٣٠」", "0:00〜23:59"]),
        ("毎日ヒント いつか", "ja-JP", ["毎日ヒント オン 8:30", "毎日ヒント オフ"]),
    ],
)
async def test_bad_input_says_what_to_fix_and_stores_nothing(
    bot: RunningBot, command: str, locale: str, expected: list[str]
) -> None:
    conversation = Conversation.channel()
    [reply] = await say(bot, command, conversation=conversation, locale=locale)
    assert all(part in visible_text(reply) for part in expected), visible_text(reply)
    assert await store(bot).subscription(conversation.id) is None
    assert await bot.planned(DAILY, conversation.id) is None


async def test_a_subscription_made_in_a_channel_thread_belongs_to_the_channel(bot: RunningBot) -> None:
    channel_root = Conversation.channel()
    assert (await bot.post(bot.channel.builder.installation_update("add", conversation=channel_root)))[0] == 200
    thread = replace(channel_root, id=f"{channel_root.id};messageid=1700000000000")
    other_thread = replace(channel_root, id=f"{channel_root.id};messageid=1700000000999")
    [status] = await say(bot, "毎日ヒント オン 8:30", conversation=thread, mention_bot=True)
    assert "8:30" in visible_text(status)
    subscription = await store(bot).subscription(channel_root.id)
    assert subscription is not None and (subscription.hour, subscription.minute) == (8, 30)
    assert await store(bot).subscription(thread.id) is None
    assert await bot.planned(DAILY, channel_root.id) is not None
    assert await bot.planned(DAILY, thread.id) is None

    [state] = await say(bot, "毎日ヒント", conversation=other_thread)  # any thread of the channel sees it
    assert "開庁日の 8:30" in visible_text(state)
    bot.channel.reset()
    [posted] = await post_tip_of_the_day(bot, channel_root.id, FRIDAY)  # a new post in the channel, not the thread
    assert "今日のシン・トセイヒント" in visible_text(posted)


async def test_only_the_subscriber_a_team_owner_or_an_admin_may_stop_it_or_move_it(
    channel: TeamsChannel, sqlite_url: str
) -> None:
    admin = User(name="管理 花子")
    bot = await start_bot(channel, sqlite_url, ADMIN_AAD_OBJECT_IDS=admin.aad_object_id)
    try:
        b = bot.channel.builder
        lead, member = b.user("佐藤 花子"), b.user("鈴木 一郎")
        owner = b.user("田中 課長", user_role="owner")
        room = Conversation.channel()
        bot.channel.set_members([lead, member, owner, admin], room.team_id)
        await say(bot, "毎日ヒント オン 8:30", conversation=room, user=lead)

        for command, locale in (("毎日ヒント オフ", "ja-JP"), ("daily tip on 10:00", "en-US")):
            [refusal] = await say(bot, command, conversation=room, user=member, locale=locale)
            assert refusal["text"] == t("tips.daily.not_allowed", locale[:2])
        click = b.card_action("tips.daily", {"command": "off"}, conversation=room, user=member, locale="en-US")
        status, body = await bot.post(click)
        assert status == 200 and body["value"] == t("tips.daily.not_allowed", "en")
        kept = await store(bot).subscription(room.id)
        assert kept is not None and (kept.hour, kept.minute, kept.subscribed_by) == (8, 30, lead.aad_object_id)
        assert await bot.planned(DAILY, room.id) is not None

        await say(bot, "毎日ヒント オン 8:30", conversation=room, user=member)  # the same time: nothing changes
        await say(bot, "毎日ヒント オン 10:00", conversation=room, user=owner)  # a team owner may move it
        moved = await store(bot).subscription(room.id)
        assert moved is not None and (moved.hour, moved.minute, moved.subscribed_by) == (10, 0, lead.aad_object_id)
        await say(bot, "毎日ヒント オフ", conversation=room, user=admin)  # an admin may stop it
        assert await store(bot).subscription(room.id) is None

        await say(bot, "毎日ヒント オン 7:00", conversation=room, user=member)  # anyone may turn it on
        await say(bot, "毎日ヒント オフ", conversation=room, user=member)  # …and the subscriber off again
        assert await store(bot).subscription(room.id) is None
        assert await bot.planned(DAILY, room.id) is None
    finally:
        await bot.stop()
