"""`python app.py` as a process: starts from the environment alone, answers a signed activity, stops cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.support.bot import process_environment
from tests.support.cards import visible_text
from tests.support.process import ROOT, BotProcess, free_port
from tests.teams_channel.channel import TeamsChannel


async def test_app_py_answers_a_signed_activity_and_keeps_the_secret_out_of_the_log(
    channel: TeamsChannel, tmp_path: Path
) -> None:
    env = process_environment(channel, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", free_port())
    bot = BotProcess(env, tmp_path / "bot.log")
    try:
        bot.wait_healthy()
        activity = channel.builder.message("ヘルプ")
        status, _ = await channel.post_activity(f"{bot.url}/api/messages", activity)
        assert status == 200
        [reply] = channel.activities_in(activity["conversation"]["id"])
        assert "使い方" in visible_text(reply)
        forged = channel.sign_channel_token(use_wrong_key=True)
        assert (await channel.post_activity(f"{bot.url}/api/messages", activity, token=forged))[0] == 401
    finally:
        code = bot.stop()
    assert code == 0
    assert channel.app_password not in bot.log()


async def test_local_dev_mode_accepts_unauthenticated_requests_on_loopback_and_says_so(tmp_path: Path) -> None:
    env = {"MicrosoftAppId": "", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", "PORT": str(free_port())}
    bot = BotProcess(env, tmp_path / "bot.log")
    try:
        bot.wait_healthy()
        member_joined = {
            "type": "conversationUpdate",
            "id": "f:1",
            "channelId": "msteams",
            "serviceUrl": "http://127.0.0.1:9/",
            "conversation": {"id": "19:x@thread.v2", "conversationType": "groupChat"},
            "recipient": {"id": "28:bot"},
            "from": {"id": "29:someone"},
            "membersAdded": [{"id": "29:someone-else"}],
        }
        async with aiohttp.ClientSession() as session, session.post(f"{bot.url}/api/messages", json=member_joined) as r:
            assert r.status == 200
    finally:
        bot.stop()
    assert "LOCAL DEV MODE" in bot.log() and "NOT authenticated" in bot.log()


def test_dev_mode_refuses_to_listen_beyond_loopback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOST": "0.0.0.0", "PORT": str(free_port()), "MicrosoftAppId": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "dev mode" in result.stderr and "0.0.0.0" in result.stderr
