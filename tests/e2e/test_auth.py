"""Every forged or broken credential is a 401 and leaves no trace in the store or the channel."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.bot import RunningBot

BAD_TOKENS: dict[str, dict[str, Any]] = {
    "bad signature": {"use_wrong_key": True},
    "wrong audience": {"audience": "someone-else"},
    "wrong issuer": {"issuer": "https://evil.example"},
    "expired": {"expires_in": -600},
    "unknown key id": {"kid": "unknown"},
    "serviceUrl claim mismatch": {"service_url": "https://smba.trafficmanager.net/elsewhere/"},
    "key not endorsed for msteams": {"kid": "other-channel-key"},
}


async def _assert_nothing_stored(bot: RunningBot, activity: dict[str, Any]) -> None:
    assert await bot.services.store.conversations.get(activity["conversation"]["id"]) is None
    assert await bot.services.store.activities.claim(activity["conversation"]["id"], activity["id"])
    assert bot.channel.calls() == []


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_bad_token_is_401_and_nothing_is_stored(bot: RunningBot, case: str) -> None:
    activity = bot.channel.builder.message("help")
    token = bot.channel.sign_channel_token(**BAD_TOKENS[case])
    status, _ = await bot.post(activity, token=token)
    assert status == 401
    await _assert_nothing_stored(bot, activity)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer not.a.jwt"])
async def test_missing_or_garbled_header_is_401(bot: RunningBot, header: str | None) -> None:
    import aiohttp

    activity = bot.channel.builder.message("help")
    headers = {} if header is None else {"Authorization": header}
    async with aiohttp.ClientSession() as session, session.post(bot.messages_url, json=activity, headers=headers) as r:
        assert r.status == 401
    await _assert_nothing_stored(bot, activity)


async def test_outbound_token_is_fetched_once_and_reused(bot: RunningBot) -> None:
    b = bot.channel.builder
    for _ in range(5):
        assert (await bot.post(b.message("help")))[0] == 200
    assert bot.channel.token_requests == 1
