"""kill -9 in the middle of the day: what the bot acknowledged is still there after a restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.bot import process_environment
from tests.support.process import BotProcess, free_port
from tests.teams_channel.channel import TeamsChannel


async def test_a_killed_bot_keeps_conversations_and_schedules(channel: TeamsChannel, tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    env = process_environment(channel, f"sqlite+aiosqlite:///{database}", free_port())
    url = f"http://127.0.0.1:{env['PORT']}/api/messages"
    bot = BotProcess(env, tmp_path / "first.log")
    try:
        bot.wait_healthy()
        install = channel.builder.installation_update("add", conversation_type="channel")
        conversation = install["conversation"]["id"]
        assert (await channel.post_activity(url, install))[0] == 200
        subscribe = channel.builder.message(
            "毎日ヒント オン 8:30", conversation_type="channel", conversation_id=conversation
        )
        assert (await channel.post_activity(url, subscribe))[0] == 200
    finally:
        assert bot.stop(kill=True) == -9  # SIGKILL: no shutdown code runs

    with sqlite3.connect(database) as db:
        assert db.execute("SELECT installed FROM conversations WHERE conversation_id = ?", (conversation,)).fetchone()
        planned = set(db.execute("SELECT name, item FROM timed_work"))
    assert ("tips.daily", conversation) in planned

    restarted = BotProcess(env, tmp_path / "second.log")
    try:
        restarted.wait_healthy()
        again = channel.builder.message(
            "毎日ヒント", conversation_type="channel", conversation_id=conversation, locale="en-US"
        )
        channel.reset()
        assert (await channel.post_activity(url, again))[0] == 200
        [status] = channel.activities_in(conversation)
        assert "8:30" in str(status) or "08:30" in str(status)
    finally:
        restarted.stop()
