"""Timed work under faults: Teams failing, a locked database, late work, a full disk, a fan-out of hundreds. The
database says what is due, so a failure means "try again", never "see you tomorrow", and never a frozen bot."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import update

from bot.polls.tables import polls
from dialogs.nudges import POST
from dialogs.polls import CARD
from dialogs.tips import DAILY
from tests.e2e.test_nudges import WEEKLY, Room, due_of
from tests.e2e.test_polls import Room as PollRoom
from tests.e2e.test_polls import latest_poll
from tests.e2e.test_tips import say
from tests.support.bot import RunningBot, start_bot
from tests.support.cards import visible_text
from tests.teams_channel.activities import Conversation
from tests.teams_channel.channel import TeamsChannel

TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=TOKYO)  # a working day, outside quiet hours


async def health(bot: RunningBot) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/healthz") as response:
        return response.status, await response.json()


async def healthy(bot: RunningBot) -> bool:
    return (await health(bot))[0] == 200


async def test_a_connector_500_is_retried_with_backoff_and_the_nudge_still_arrives(bot: RunningBot) -> None:
    room = await Room.install(bot)
    nudge = await room.create({**WEEKLY, "kind": "daily", "time": "10:00"})
    bot.channel.inject(500, method="POST", path_contains="/activities")
    await bot.run_timed(POST, nudge.nudge_id, MONDAY)
    assert len(room.posted()) == 1  # the confirmation only: Teams failed
    retry = await bot.platform.timed.get(POST, nudge.nudge_id)
    assert retry is not None and retry.attempts == 1 and "500" in (retry.last_error or "")
    assert MONDAY < retry.due_at < MONDAY + timedelta(minutes=1)  # soon, not tomorrow

    await bot.run_due(retry.due_at)
    assert len(room.posted()) == 2 and WEEKLY["text"] in room.posted()[-1]
    assert await due_of(bot, nudge) == MONDAY + timedelta(days=1)  # then back on its schedule
    await bot.run_due(retry.due_at + timedelta(seconds=1))
    assert len(room.posted()) == 2  # once


async def test_the_tip_of_the_day_is_marked_posted_only_once_it_is_posted(bot: RunningBot) -> None:
    conversation = Conversation.channel()
    await say(bot, "毎日ヒント オン 8:30", conversation=conversation, mention_bot=True)
    bot.channel.reset()
    friday = datetime(2026, 11, 27, 8, 30, tzinfo=TOKYO)
    bot.channel.inject(500, method="POST")  # an error the sender does not retry itself
    await bot.run_timed(DAILY, conversation.id, friday)
    subscription = await bot.feature("tips").service.subscription(conversation.id)
    assert subscription.last_posted_on is None and bot.channel.activities_in(conversation.id) == []
    retry = await bot.platform.timed.get(DAILY, conversation.id)
    assert retry is not None and retry.occurrence == friday and retry.attempts == 1

    bot.channel.reset()
    await bot.run_due(retry.due_at)
    [posted] = bot.channel.activities_in(conversation.id)
    assert "今日のシン・トセイヒント" in visible_text(posted)
    subscription = await bot.feature("tips").service.subscription(conversation.id)
    assert subscription.last_posted_on == friday.date()


async def test_a_shared_poll_card_stays_dirty_until_an_update_lands_even_across_a_restart(
    channel: TeamsChannel, sqlite_url: str
) -> None:
    first = await start_bot(channel, sqlite_url)
    try:
        room = await PollRoom.install(first)
        poll = await room.create()
        channel.inject(500, count=100, method="PUT")  # every card update fails
        await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 2}, channel.builder.user("鈴木 一郎"))
        await first.platform.cards.flush()
        assert (await latest_poll(first)).card_dirty  # not cleared by a write that never landed
        assert await first.planned(CARD, poll.poll_id) is not None  # a later try is planned
    finally:
        await first.stop()
    channel.reset()
    second = await start_bot(channel, sqlite_url)  # start-up writes the dirty card
    try:
        await second.platform.cards.flush()
        assert not (await latest_poll(second)).card_dirty
        [update_call] = channel.calls(operation="update")
        assert update_call.status == 200 and "1" in str(room.shared_card(poll))
    finally:
        await second.stop()


async def test_a_locked_database_neither_freezes_the_bot_nor_stops_timed_work(channel: TeamsChannel, tmp_path) -> None:
    database = tmp_path / "bot.db"
    # The nudge must be postable whenever the test runs: no quiet hours (an empty window) at 20:00 or at night.
    bot = await start_bot(channel, f"sqlite+aiosqlite:///{database}", QUIET_HOURS="00:00-00:00")
    try:
        room = await Room.install(bot)
        nudge = await room.create({**WEEKLY, "kind": "daily", "time": "10:00"})
        gaps: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:  # the event loop the bot runs on must keep turning
            last = time.monotonic()
            while not stop.is_set():
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        release = threading.Event()

        def hold_the_write_lock() -> None:  # another process, an admin's shell, a backup: anything that writes
            with sqlite3.connect(database, timeout=30) as other:
                other.execute("BEGIN IMMEDIATE")
                release.wait(timeout=30)
                other.rollback()

        ticking = asyncio.create_task(ticker())
        locker = threading.Thread(target=hold_the_write_lock)
        locker.start()
        soon = datetime.now(TOKYO) + timedelta(seconds=1)
        await asyncio.sleep(6)  # the work falls due, and the database's busy timeout passes, while it is locked
        async with asyncio.timeout(10):
            status, body = await health(bot)
        assert status == 503 and body["database"]["ok"] is False  # it can't write, and says so
        release.set()
        await asyncio.to_thread(locker.join)
        await bot.platform.timed.plan(POST, nudge.nudge_id, soon)  # due while locked (planned once writable)
        await bot.channel.wait_for(lambda _: len(room.posted()) == 2, timeout=15)
        stop.set()
        await ticking
        assert max(gaps) < 1.0  # never frozen (APScheduler's job store blocked it for 5 s per write)
        await bot.channel.wait_for(lambda _: healthy(bot), timeout=10)  # the next wake-ups bring it back
        # The timer did not go dormant: the next item planned still runs on time.
        await bot.platform.timed.plan(POST, nudge.nudge_id, datetime.now(TOKYO) + timedelta(seconds=0.5))
        await bot.channel.wait_for(lambda _: len(room.posted()) == 3, timeout=10)
    finally:
        await bot.stop()


async def test_health_is_degraded_when_timed_work_is_late_or_the_disk_is_full(
    channel: TeamsChannel, sqlite_url: str
) -> None:
    bot = await start_bot(channel, sqlite_url, MIN_FREE_DISK_MB="100000000")
    try:
        status, body = await health(bot)
        assert status == 503 and body["disk"]["ok"] is False and body["timed_work"]["ok"] is True
    finally:
        await bot.stop()
    bot = await start_bot(channel, sqlite_url)
    try:
        assert (await health(bot))[0] == 200
        await bot.platform.runner.stop()  # the timer is gone (what used to fail silently)
        late = datetime.now(TOKYO) + timedelta(minutes=5)
        await bot.platform.timed.plan(POST, "someone", datetime.now(TOKYO) - timedelta(minutes=4))
        with bot.clock.stopped_at(late):
            status, body = await health(bot)
        assert status == 503 and body["timed_work"]["ok"] is False
        assert body["timed_work"]["oldest_overdue_seconds"] > 120 and body["timed_work"]["last_wake_seconds_ago"] > 120
    finally:
        await bot.stop()


async def test_reminding_300_non_voters_answers_the_click_at_once_and_sends_them_as_timed_work(
    channel: TeamsChannel, sqlite_url: str
) -> None:
    # A tenant allowed more than Teams' 50 messages a second: the fan-out's pace is not what this test is about.
    bot = await start_bot(channel, sqlite_url, TENANT_RATE_PER_SECOND="1000")
    try:
        await _remind_300(bot)
    finally:
        await bot.stop()


async def _remind_300(bot: RunningBot) -> None:
    room = await PollRoom.install(bot)
    poll = await room.create()
    b = bot.channel.builder
    people = [b.user(f"職員 {i:03}") for i in range(300)]
    installs = [b.installation_update("add", conversation=b.personal(person), user=person) for person in people]
    for start in range(0, 300, 50):
        await asyncio.gather(*(bot.post(install) for install in installs[start : start + 50]))
    bot.channel.reset()
    bot.channel.set_members([room.lead, *people], room.conversation.id)
    bot.channel.latency = 0.02  # each 1:1 message takes Teams a moment: 300 of them don't fit in 5 s
    started = time.monotonic()
    notice = await room.click("poll.remind_personal", {"poll_id": poll.poll_id})
    answered = time.monotonic() - started
    assert answered < 1.0 and "300" in notice["value"]
    await bot.run_due()
    reached = [person for person in people if bot.channel.activities_in(b.personal(person).id)]
    assert len(reached) == 300


async def test_a_restart_replans_lost_timed_work_from_the_features_tables(
    channel: TeamsChannel, sqlite_url: str
) -> None:
    first = await start_bot(channel, sqlite_url)
    try:
        room = await Room.install(first)
        nudge = await room.create(WEEKLY)
        planned = await due_of(first, nudge)
        await first.platform.timed.cancel(POST, nudge.nudge_id)  # a lost plan, whatever the reason
        async with first.platform.store.engine.begin() as conn:
            await conn.execute(update(polls).values(card_dirty=False))
    finally:
        await first.stop()
    second = await start_bot(channel, sqlite_url)
    try:
        assert await due_of(second, nudge) == planned  # the nudges table said when; start-up planned it again
    finally:
        await second.stop()
