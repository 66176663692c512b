"""The proactive sender against the loopback Teams channel: limits, 429s, retries and permanent failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.support.bot import RunningBot, start_bot
from tests.teams_channel.channel import TeamsChannel

NOTICE = {"type": "message", "text": "お知らせです"}


async def _installed(bot: RunningBot, conversation_type: str = "channel") -> str:
    """Install the app into a new conversation (as Teams would) and forget the welcome traffic."""
    activity = bot.channel.builder.installation_update("add", conversation_type=conversation_type)
    assert (await bot.post(activity))[0] == 200
    bot.channel.reset()
    return activity["conversation"]["id"]


def _max_in_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    return max((sum(1 for u in times if t <= u < t + seconds) for t in times), default=0)


async def test_429_with_retry_after_is_waited_out_and_retried(bot: RunningBot) -> None:
    conversation_id = await _installed(bot)
    bot.channel.inject(429, retry_after=0.6, path_contains="activities")
    delivery = await bot.platform.sender.post(conversation_id, NOTICE)
    assert delivery.sent
    first, second = bot.channel.calls(conversation_id=conversation_id)
    assert (first.status, second.status) == (429, 201)
    assert second.time - first.time >= 0.55
    assert [a["text"] for a in bot.channel.activities_in(conversation_id)] == ["お知らせです"]


async def test_a_keyed_delivery_waiting_out_a_429_is_not_in_the_ledger_while_it_waits(bot: RunningBot) -> None:
    """A process that dies while a delivery waits out Teams' 429 must not leave it marked as sent: Teams said no,
    so the run that takes over sends it."""
    conversation_id = await _installed(bot)
    bot.channel.inject(429, retry_after=1.0, path_contains="activities")
    ledger = bot.platform.sender._ledger
    sending = asyncio.create_task(bot.platform.sender.post(conversation_id, NOTICE, once="notice:1"))
    await bot.channel.wait_for(lambda ch: ch.calls(conversation_id=conversation_id, status=429))
    taken_over = await bot.platform.sender.post(conversation_id, NOTICE, once="notice:1")  # the run after a crash
    assert taken_over.sent and not taken_over.repeated
    first = await sending
    assert first.sent and first.repeated, "the waiting one finds it sent and does not send it again"
    assert [a["text"] for a in bot.channel.activities_in(conversation_id)] == ["お知らせです"]
    assert (await ledger.begin("notice:1", bot.clock.now()))[0]


@pytest.mark.parametrize("statuses", [(503, 412), (502, 504)])
async def test_transient_5xx_and_412_are_retried_with_backoff(bot: RunningBot, statuses: tuple[int, int]) -> None:
    conversation_id = await _installed(bot)
    for status in statuses:
        bot.channel.inject(status, path_contains="activities")
    delivery = await bot.platform.sender.post(conversation_id, NOTICE)
    assert delivery.sent
    calls = bot.channel.calls(conversation_id=conversation_id)
    assert [c.status for c in calls] == [*statuses, 201]
    assert calls[1].time - calls[0].time >= 0.25  # jittered backoff, not a hammering retry


async def test_a_client_error_is_not_retried(bot: RunningBot) -> None:
    conversation_id = await _installed(bot)
    bot.channel.inject(400, path_contains="activities")
    delivery = await bot.platform.sender.post(conversation_id, NOTICE)
    assert delivery.status == "failed" and "400" in (delivery.error or "")
    assert len(bot.channel.calls(conversation_id=conversation_id)) == 1


async def test_403_marks_the_conversation_and_later_posts_are_skipped(bot: RunningBot) -> None:
    conversation_id = await _installed(bot)
    bot.channel.block_conversation(conversation_id)
    delivery = await bot.platform.sender.post(conversation_id, NOTICE)
    assert delivery.status == "failed"
    record = await bot.platform.store.conversations.get(conversation_id)
    assert record is not None and record.status == "blocked" and record.failure_code == 403
    assert "BotDisabledByAdmin" in (record.failure_reason or "")
    again = await bot.platform.sender.post(conversation_id, NOTICE)
    assert again.status == "skipped"
    assert len(bot.channel.calls(conversation_id=conversation_id)) == 1


async def test_a_burst_into_one_conversation_stays_under_teams_limits(bot: RunningBot) -> None:
    conversation_id = await _installed(bot)
    deliveries = await asyncio.gather(*(bot.platform.sender.post(conversation_id, NOTICE) for _ in range(18)))
    assert all(d.sent for d in deliveries)
    times = [c.time for c in bot.channel.calls(conversation_id=conversation_id)]
    assert len(times) == 18 and bot.channel.throttled == 0
    assert _max_in_window(times, 1.0) <= 7 and _max_in_window(times, 2.0) <= 8


@pytest.fixture
async def slow_tenant_bot(channel: TeamsChannel, sqlite_url: str) -> AsyncIterator[RunningBot]:
    running = await start_bot(channel, sqlite_url, TENANT_RATE_PER_SECOND="10")
    try:
        yield running
    finally:
        await running.stop()


async def test_the_per_tenant_rate_holds_across_conversations(slow_tenant_bot: RunningBot) -> None:
    bot = slow_tenant_bot
    conversations = [await _installed(bot, "groupChat") for _ in range(25)]
    bot.channel.reset()
    deliveries = await asyncio.gather(*(bot.platform.sender.post(c, NOTICE) for c in conversations))
    assert all(d.sent for d in deliveries)
    times = [c.time for c in bot.channel.calls(operation="send")]
    assert len(times) == 25
    assert _max_in_window(times, 1.0) <= 10


async def test_open_a_personal_chat_and_post_into_a_channel_thread(bot: RunningBot) -> None:
    sender, channel = bot.platform.sender, bot.channel
    user = channel.builder.user()
    bot_id = f"28:{channel.app_id}"
    chat_id = await sender.open_personal_chat(
        service_url=channel.service_url, tenant_id=channel.tenant_id, bot_id=bot_id, user_id=user.id
    )
    [create] = channel.calls(operation="create_conversation")
    assert create.body["members"] == [{"id": user.id}] and create.body["isGroup"] is False
    assert chat_id
    thread = await sender.start_channel_thread(
        service_url=channel.service_url,
        tenant_id=channel.tenant_id,
        bot_id=bot_id,
        channel_id="19:general@thread.tacv2",
        activity=NOTICE,
    )
    assert thread.sent and thread.conversation_id == f"19:general@thread.tacv2;messageid={thread.activity_id}"
    assert [a["text"] for a in channel.activities_in(thread.conversation_id)] == ["お知らせです"]


async def test_update_card_replaces_the_posted_card(bot: RunningBot) -> None:
    conversation_id = await _installed(bot)
    posted = await bot.platform.sender.post(conversation_id, NOTICE)
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "集計: 3票"}]}
    updated = await bot.platform.sender.update_card(conversation_id, posted.activity_id or "", card)
    assert updated.sent
    current = bot.channel.activity(conversation_id, posted.activity_id or "")
    assert current is not None and current["attachments"][0]["content"]["body"][0]["text"] == "集計: 3票"


async def test_a_refused_token_is_replaced_and_the_call_retried_once(bot: RunningBot) -> None:
    conversation_id = await _installed(bot)
    tokens_before = bot.channel.token_requests
    bot.channel.inject(401, path_contains="activities")
    delivery = await bot.platform.sender.post(conversation_id, NOTICE)
    assert delivery.sent
    assert [c.status for c in bot.channel.calls(conversation_id=conversation_id)] == [401, 201]
    assert bot.channel.token_requests == tokens_before + 1
