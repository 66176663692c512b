"""Every activity Teams delivers is read whole, however the network cuts it up.

Written by hand over a socket (aiohttp's client sends a body in one piece on loopback): split writes, chunked
transfer coding, TCP-sized segments. Each activity is properly signed, so the bot runs the turn and answers in
the conversation — a lost click or message would show up as a missing reply.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support import raw_http
from tests.support.bot import RunningBot
from tests.support.cards import card_of

Framing = Callable[[bytes], tuple[list[bytes], dict[str, str]]]


def _with_length(parts: Callable[[bytes], list[bytes]]) -> Framing:
    return lambda body: (parts(body), {"Content-Length": str(len(body))})


def _chunked(parts: Callable[[bytes], list[bytes]]) -> Framing:
    return lambda body: (raw_http.chunked(parts(body)), {"Transfer-Encoding": "chunked"})


def _tcp(body: bytes) -> list[bytes]:
    return raw_http.segments(body, 1460)


FRAMINGS: dict[str, Framing] = {
    "1.3 KB in two writes 50 ms apart": _with_length(raw_http.halves),
    "1.3 KB chunked, in two chunks": _chunked(raw_http.halves),
    "16 KB in 1,460-byte segments": _with_length(_tcp),
    "16 KB chunked, one chunk per segment": _chunked(_tcp),
}
SIZES = {name: 16 * 1024 if name.startswith("16 KB") else 1300 for name in FRAMINGS}


def _help_message(bot: RunningBot, size: int) -> tuple[dict[str, Any], bytes]:
    """「help」 as Teams posts it (with its text/html copy), padded to exactly `size` bytes of JSON."""
    activity = bot.channel.builder.message("help")
    bare = len(json.dumps(activity).encode())
    activity["attachments"][0]["content"] = "<p>help</p>" + " " * (size - bare)
    body = json.dumps(activity).encode()
    assert len(body) == size
    return activity, body


def _headers(bot: RunningBot, activity: dict[str, Any]) -> dict[str, str]:
    token = bot.channel.sign_channel_token(service_url=activity["serviceUrl"])
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("framing", sorted(FRAMINGS))
async def test_an_activity_arriving_in_pieces_is_answered(bot: RunningBot, framing: str) -> None:
    activity, body = _help_message(bot, SIZES[framing])
    parts, framing_headers = FRAMINGS[framing](body)
    response = await raw_http.post(bot.messages_url, parts, {**_headers(bot, activity), **framing_headers})
    assert response.status == 200, response.body
    [reply] = bot.channel.activities_in(activity["conversation"]["id"])
    assert card_of(reply) is not None  # the help card: the turn really ran


async def test_a_body_of_exactly_the_limit_is_read_whole(bot: RunningBot) -> None:
    activity, body = _help_message(bot, bot.settings.max_body_bytes)
    parts, framing_headers = FRAMINGS["16 KB in 1,460-byte segments"](body)
    response = await raw_http.post(bot.messages_url, parts, {**_headers(bot, activity), **framing_headers}, gap=0)
    assert response.status == 200, response.body
    assert len(bot.channel.activities_in(activity["conversation"]["id"])) == 1


@pytest.mark.parametrize("framing", ["16 KB in 1,460-byte segments", "16 KB chunked, one chunk per segment"])
async def test_a_body_over_the_limit_is_413_however_it_is_framed(bot: RunningBot, framing: str) -> None:
    activity, body = _help_message(bot, bot.settings.max_body_bytes + 1)
    parts, framing_headers = FRAMINGS[framing](body)
    response = await raw_http.post(bot.messages_url, parts, {**_headers(bot, activity), **framing_headers}, gap=0)
    assert response.status == 413, response.body
    assert bot.channel.activities_in(activity["conversation"]["id"]) == []
