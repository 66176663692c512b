"""Anything a network can send to /api/messages gets a clear 4xx, never a 500 or a crash."""

from __future__ import annotations

import json

import aiohttp
import pytest

from bot.json_input import MAX_JSON_DEPTH
from tests.support import raw_http
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


def _nested(depth: int) -> str:
    """JSON `depth` levels deep: lists and objects in turn, as a card's data or channelData could nest."""
    opening = "".join("[" if level % 2 else '{"a":' for level in range(depth))
    closing = "".join("]" if level % 2 else "}" for level in reversed(range(depth)))
    return opening + "0" + closing


def _help_with(bot: RunningBot, field: str, nested_json: str) -> bytes:
    """A signed-able 「help」 whose `field` (value, or an extra key of channelData) holds `nested_json`."""
    activity = bot.channel.builder.message("help")
    if field == "value":
        return (json.dumps(activity)[:-1] + f', "value": {nested_json}}}').encode()
    channel_data = json.dumps(activity["channelData"])[:-1] + f', "extra": {nested_json}}}'
    activity["channelData"] = "CHANNEL_DATA"
    return json.dumps(activity).replace('"CHANNEL_DATA"', channel_data).encode()


@pytest.mark.parametrize("field", ["value", "channelData"])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 100, 900, 50_000])
async def test_json_nested_beyond_any_activity_is_400(bot: RunningBot, field: str, depth: int) -> None:
    """The activity itself is one level: a value nested `depth` levels below it is too deep from 64 on."""
    status, text = await _raw(bot, _help_with(bot, field, _nested(depth)), bot.channel.sign_channel_token())
    assert status == 400, text
    assert "nested" in text and "Traceback" not in text


async def test_json_nested_within_the_bound_is_answered(bot: RunningBot) -> None:
    body = _help_with(bot, "value", _nested(MAX_JSON_DEPTH - 1))
    status, _ = await _raw(bot, body, bot.channel.sign_channel_token())
    assert status == 200
    conversation_id = json.loads(body)["conversation"]["id"]
    assert len(bot.channel.activities_in(conversation_id)) == 1


async def test_oversized_body_is_413(bot: RunningBot) -> None:
    activity = bot.channel.builder.message("x" * (bot.settings.max_body_bytes + 10))
    status, _ = await bot.post(activity)
    assert status == 413


async def _signed_help(bot: RunningBot, content_type: str | None) -> tuple[int, str]:
    """A valid, signed 「help」 sent with `content_type` (None: no Content-Type header at all)."""
    activity = bot.channel.builder.message("help")
    body = json.dumps(activity).encode()
    headers = {"Authorization": f"Bearer {bot.channel.sign_channel_token()}", "Content-Length": str(len(body))}
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = await raw_http.post(bot.messages_url, [body], headers)
    return response.status, activity["conversation"]["id"]


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonp", "application/json; charset=utf-16"],
)
async def test_a_body_that_is_not_json_is_415_and_runs_no_turn(bot: RunningBot, content_type: str | None) -> None:
    status, conversation_id = await _signed_help(bot, content_type)
    assert status == 415
    assert bot.channel.activities_in(conversation_id) == []


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON; Charset=UTF-8"])
async def test_json_with_a_charset_or_in_capitals_is_answered(bot: RunningBot, content_type: str) -> None:
    status, conversation_id = await _signed_help(bot, content_type)
    assert status == 200
    assert len(bot.channel.activities_in(conversation_id)) == 1


async def test_health_reports_database_and_timed_work(bot: RunningBot) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/healthz") as response:
        body = await response.json()
    assert response.status == 200 and body["status"] == "ok"
    assert body["database"]["read"] is True and body["database"]["write"] is True
    assert body["timed_work"]["planned"] >= 1 and body["timed_work"]["last_wake_seconds_ago"] is not None
