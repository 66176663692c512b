"""A slow identity platform must not freeze the bot: MSAL and key fetches run off the event loop."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from tests.support.bot import RunningBot


async def test_a_slow_token_endpoint_does_not_stall_other_turns(bot: RunningBot) -> None:
    b = bot.channel.builder
    assert (await bot.post(b.message("help")))[0] == 200  # warm: keys and token fetched
    bot.platform.sender.connector.tokens.invalidate()
    bot.channel.identity.token_latency = 1.5
    needs_token = asyncio.create_task(bot.post(b.message("help")))
    await asyncio.sleep(0.2)  # the refresh is now waiting on the slow endpoint

    started = time.monotonic()
    status, body = await bot.post(b.card_action("no-such-verb"))  # answered without any outbound call
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/healthz") as health:
        assert health.status == 200
    elapsed = time.monotonic() - started

    assert status == 200 and body["type"] == "application/vnd.microsoft.activity.message"
    assert elapsed < 0.5, f"other turns waited {elapsed:.2f}s for the slow token endpoint"
    assert not needs_token.done()
    assert (await needs_token)[0] == 200
    assert bot.channel.token_requests == 2


async def test_a_slow_signing_key_endpoint_does_not_freeze_the_bot(bot: RunningBot) -> None:
    from datetime import datetime

    from bot.identity import install_metadata_cache

    b = bot.channel.builder
    assert (await bot.post(b.message("help")))[0] == 200
    for metadata in install_metadata_cache(bot.settings):
        metadata.last_updated = datetime.min  # due for its daily refresh
    bot.channel.identity.keys_latency = 1.0
    fresh_token = bot.channel.sign_channel_token(extra_claims={"jti": "never-seen"})  # not in the verdict cache
    needs_keys = asyncio.create_task(bot.post(b.message("help"), token=fresh_token))
    await asyncio.sleep(0.2)

    started = time.monotonic()
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/healthz") as health:
        assert health.status == 200
    assert time.monotonic() - started < 0.5
    assert not needs_keys.done()
    assert (await needs_keys)[0] == 200
