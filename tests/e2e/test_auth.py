"""Every forged or broken credential is a 401 and leaves no trace in the store or the channel."""

from __future__ import annotations

from typing import Any

import pytest

from bot.application import MESSAGES
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
    assert await bot.platform.store.conversations.get(activity["conversation"]["id"]) is None
    assert await bot.platform.store.activities.holders([(activity["conversation"]["id"], activity["id"])]) == {}
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


async def test_an_accepted_token_is_not_revalidated_but_still_bound_to_its_service_url(bot: RunningBot) -> None:
    from unittest.mock import patch

    b = bot.channel.builder
    token = bot.channel.sign_channel_token()
    adapter = bot.runner.app[MESSAGES]._adapter
    original = adapter.bot_framework_authentication.authenticate_request
    with patch.object(adapter.bot_framework_authentication, "authenticate_request", side_effect=original) as spy:
        for _ in range(3):
            assert (await bot.post(b.message("help"), token=token))[0] == 200
        assert spy.call_count == 1
        elsewhere = b.message("help")
        elsewhere["serviceUrl"] = "https://smba.trafficmanager.net/elsewhere/"
        assert (await bot.post(elsewhere, token=token))[0] == 401  # serviceurl claim still checked
        assert spy.call_count == 2


async def test_a_cached_token_is_refused_once_it_expires(bot: RunningBot) -> None:
    """The cache never outlives the token: past exp + 5 min leeway it is checked again, and refused."""
    import datetime as dt
    import time
    from unittest.mock import patch

    later = 60 + 301
    b = bot.channel.builder
    token = bot.channel.sign_channel_token(expires_in=60)
    assert (await bot.post(b.message("help"), token=token))[0] == 200

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return dt.datetime.fromtimestamp(time.time() + later, tz)

    with patch("bot.adapter.time.time", return_value=time.time() + later), patch("jwt.api_jwt.datetime", Later):
        assert (await bot.post(b.message("help"), token=token))[0] == 401
