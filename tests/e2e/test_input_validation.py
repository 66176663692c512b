"""Anything a network can send to /api/messages gets a clear 4xx, never a 500 or a crash."""

from __future__ import annotations

import aiohttp
import pytest

from tests.support.bot import RunningBot


async def _raw(bot: RunningBot, body: bytes, token: str | None = None) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with aiohttp.ClientSession() as session, session.post(bot.messages_url, data=body, headers=headers) as r:
        return r.status, await r.text()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[]",
        b'"text"',
        b"{}",
        b'{"type": 5}',
        b'{"type": "message"}',
        b'{"type": "message", "conversation": {"id": "c"}}',
        b'{"type": "message", "conversation": {"id": "c"}, "serviceUrl": "ftp://x"}',
        b'{"type": "message", "conversation": "c", "serviceUrl": "https://x/"}',
        b'{"type": "message", "conversation": {"id": "c"}, "serviceUrl": "https://x/", "from": "me"}',
        b"\xff\xfe\x00garbage",
    ],
)
async def test_malformed_activity_is_400(bot: RunningBot, body: bytes) -> None:
    token = bot.channel.sign_channel_token()
    status, text = await _raw(bot, body, token)
    assert status == 400, text
    assert "Traceback" not in text


async def test_oversized_body_is_413(bot: RunningBot) -> None:
    activity = bot.channel.builder.message("x" * (bot.settings.max_body_bytes + 10))
    status, _ = await bot.post(activity)
    assert status == 413


async def test_health_reports_database_and_timed_work(bot: RunningBot) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/healthz") as response:
        body = await response.json()
    assert response.status == 200 and body["status"] == "ok"
    assert body["database"]["read"] is True and body["database"]["write"] is True
    assert body["timed_work"]["planned"] >= 1 and body["timed_work"]["last_wake_seconds_ago"] is not None
