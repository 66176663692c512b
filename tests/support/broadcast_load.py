"""A broadcast to thousands, through real bot processes and the loopback Teams channel: the channel enforces the
per-conversation limits and a per-tenant ceiling (429 beyond it) and injects 429s of its own; the bot may be
killed with SIGKILL mid-way (and restarted), or run as two instances on one PostgreSQL, one of them killed. The
channel counts what each recipient got. `make test` runs it small (tests/e2e/test_broadcast_outbox.py); `make
bench` runs it with 10,000 recipients (bench/broadcast.py).

The broadcast is made the way admins make it — the dialog, the count, 二者承認 (everyone needs it) — over signed
activities; only the recipients' installs are written straight into the database, as 10,000 install events
would only measure the inbound path.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.processes import cpu_seconds
from bot.broadcasts.model import RowState
from bot.broadcasts.outbox import UNCONFIRMED
from bot.broadcasts.tables import broadcast_recipients as recipients_table
from bot.broadcasts.tables import broadcasts
from bot.store import Store
from bot.store.conversations import ConversationRecord
from bot.store.migrate import migrate
from tests.support.broadcasts import ADMIN, NOTICE, SECOND
from tests.support.chaos import Bots, query
from tests.support.process import BotProcess
from tests.teams_channel.activities import Conversation
from tests.teams_channel.channel import TeamsChannel

PREFIX = "a:1load"  # the recipients' 1:1 chats
RETRY_AFTER = 1  # seconds, in the 429s the channel injects
POSTING = frozenset({"send", "reply", "update", "create_conversation"})  # what counts against the tenant ceiling


@dataclass
class LoadResult:
    recipients: int
    ceiling: int
    instances: int
    delivered: int = 0  # recipients who got it
    lost: int = 0  # recipients who did not
    duplicates: int = 0  # copies beyond the first
    seconds: float = 0.0  # first to last delivery
    rate: float = 0.0  # deliveries per second over that time
    share_of_ceiling: float = 0.0
    busiest_second: int = 0  # the most accepted calls that arrived at Teams in any one second (every conversation)
    tenant_throttled: int = 0  # calls refused for the tenant ceiling (the bot exceeded it)
    injected_429: int = 0
    killed_after: int | None = None  # deliveries when an instance was killed
    unresolved: int = 0  # outbox rows still pending or sending at the end (each must end sent, failed, …)
    unconfirmed: int = 0  # rows taken as sent because their post was under way when its instance died
    answer_seconds: float = 0.0  # the slowest answer to the admins' clicks
    cpu_seconds: float = 0.0  # the bot processes', while sending
    cpu_ms_per_message: float = 0.0
    peak_rss_mb: float = 0.0
    # per 429: the sends Teams accepted in the Retry-After second after it (those already under way when it was
    # answered; at the ceiling there would be as many as the ceiling)
    sent_while_paused: list[int] = field(default_factory=list)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set so far (Linux /proc VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def seed(database_url: str, channel: TeamsChannel, recipients: int) -> None:
    """The database migrated, and `recipients` people who installed the app in their 1:1 chat."""
    await migrate(database_url)
    store = Store.open(database_url)
    try:
        records = [
            ConversationRecord(
                conversation_id=f"{PREFIX}{n:06d}",
                conversation_type="personal",
                service_url=channel.service_url,
                bot_id=f"28:{channel.app_id}",
                tenant_id=channel.tenant_id.lower(),
                user_id=f"29:1load{n:06d}",
                user_aad_id=f"10ad0000-0000-4000-8000-{n:012d}",
                locale="ja-JP",
            )
            for n in range(recipients)
        ]
        for start in range(0, recipients, 1000):
            await store.conversations.touch_many(records[start : start + 1000])
    finally:
        await store.close()


class Admins:
    """The two admins, clicking through the bot's HTTP endpoint as Teams would send their clicks."""

    def __init__(self, channel: TeamsChannel, database_url: str) -> None:
        self.channel, self.database_url = channel, database_url
        self.slowest = 0.0

    async def post(self, bot: BotProcess, activity: dict[str, Any]) -> Any:
        started = time.monotonic()
        status, body = await self.channel.post_activity(f"{bot.url}/api/messages", activity)
        self.slowest = max(self.slowest, time.monotonic() - started)
        assert status == 200, body
        return body

    async def broadcast_to_everyone(self, bot: BotProcess) -> str:
        b = self.channel.builder
        chats = {user.id: Conversation.personal(user, app_id=b.app_id) for user in (ADMIN, SECOND)}
        for user in (ADMIN, SECOND):
            await self.post(bot, b.installation_update("add", conversation=chats[user.id], user=user))
        form = {"dialog": "broadcasts.compose", "step": "review", "audience": "everyone", **NOTICE}
        await self.post(bot, b.task_submit(form, conversation=chats[ADMIN.id], user=ADMIN))
        broadcast_id = await self._status_reached("ready")
        ids = {"broadcast_id": broadcast_id}
        await self.post(bot, b.card_action("broadcasts.confirm", ids, conversation=chats[ADMIN.id], user=ADMIN))
        await self._status_reached("pending_approval")
        await self.post(bot, b.card_action("broadcasts.approve", ids, conversation=chats[SECOND.id], user=SECOND))
        return broadcast_id

    async def _status_reached(self, status: str, timeout: float = 120.0) -> str:  # noqa: ASYNC109
        for _ in range(int(timeout / 0.1)):
            rows = await query(self.database_url, select(broadcasts.c.broadcast_id, broadcasts.c.status))
            if rows and rows[-1].status == status:
                return str(rows[-1].broadcast_id)
            await asyncio.sleep(0.1)
        raise TimeoutError(f"the broadcast did not reach {status!r} within {timeout}s")


def busiest_second(times: list[float]) -> int:
    """The most calls in any window [t, t + 1 s)."""
    times = sorted(times)
    return max((bisect_right(times, t + 1.0 - 1e-9) - i for i, t in enumerate(times)), default=0)


async def broadcast_under_load(
    channel: TeamsChannel,
    database_url: str,
    work: Path,
    *,
    recipients: int,
    ceiling: int = 50,
    instances: int = 1,
    kill_at: float | None = None,
    kill_held: bool = True,
    injected_429: int = 3,
    timeout: float | None = None,  # noqa: ASYNC109
) -> LoadResult:
    """Broadcast to `recipients` through `instances` bot processes; kill one with SIGKILL once `kill_at` of them
    got it (restarting it when it was the only one); inject `injected_429` 429s (Retry-After 1 s) spread over the
    run. Counts what every recipient got.

    `kill_held`: the kill comes while Teams holds every post it received unanswered, so none is half-sent (as in
    tests/support/chaos.py): whether a post cut off mid-request reached Teams is the coin toss no sender can win
    without an idempotency key (bot.broadcasts.outbox). False kills at whatever moment the threshold is seen."""
    await seed(database_url, channel, recipients)
    result = LoadResult(recipients, ceiling, instances)
    # The channel keeps every call it answered: with thousands, a full garbage collection of this process would
    # stall the channel's thread for ~100 ms, and the requests queued meanwhile would reach its tenant ceiling
    # together, as if the bot had sent them together. Teams has no such pause; neither may its stand-in.
    gc.collect()
    gc.freeze()
    gc.disable()
    bots = Bots(channel, database_url, work, TENANT_RATE_PER_SECOND=str(ceiling), **_admins())
    cpu: dict[int, float] = {}
    try:
        running = [bots.start() for _ in range(instances)]
        channel.reset()
        channel.limit_tenant(ceiling)
        admins = Admins(channel, database_url)
        await admins.broadcast_to_everyone(running[0])
        result.answer_seconds = admins.slowest
        starts = {bot.process.pid: cpu_seconds(bot.process.pid) for bot in running}
        # 429s spread over the run, and away from the kill: a post Teams refuses while its sender dies is the coin
        # toss of at-most-once (see bot.broadcasts.outbox), taken as sent and so missed
        marks = [recipients * (2 * n + 1) // (2 * injected_429) for n in range(injected_429)]
        if kill_at is not None:
            near = recipients // 20
            marks = sorted(m + 2 * near if abs(m - recipients * kill_at) <= near else m for m in marks)
        deadline = time.monotonic() + (timeout or recipients / ceiling * 2 + 120)
        while (got := _delivered(channel)) < recipients:
            if time.monotonic() > deadline:
                break
            while marks and got >= marks[0]:
                marks.pop(0)
                channel.inject(429, retry_after=RETRY_AFTER, path_contains=PREFIX)
            for bot in running:
                if bot.process.poll() is None:
                    cpu[bot.process.pid] = cpu_seconds(bot.process.pid) - starts.get(bot.process.pid, 0.0)
                    result.peak_rss_mb = max(result.peak_rss_mb, peak_rss_mb(bot.process.pid))
            if kill_at is not None and result.killed_after is None and got >= recipients * kill_at:
                victim = running[0]
                if kill_held:
                    await _all_in_teams_hands(channel)
                victim.process.send_signal(signal.SIGKILL)
                victim.process.wait(timeout=30)
                channel.release()
                result.killed_after = _delivered(channel)
                running = running[1:] or [bots.start()]  # alone: restarted (a crash and the supervisor)
                starts |= {
                    bot.process.pid: cpu_seconds(bot.process.pid) for bot in running if bot.process.pid not in starts
                }
            await asyncio.sleep(0.2)
        await asyncio.sleep(2.0)  # a second copy would arrive now
        result.cpu_seconds = sum(cpu.values())
        _count(channel, result)
        await _outcome(database_url, result)
        return result
    finally:
        gc.enable()
        gc.unfreeze()
        channel.limit_tenant(None)
        bots.stop_all()


async def _all_in_teams_hands(channel: TeamsChannel) -> None:
    """Hold Teams' answers until every post under way has reached it: the workers then all wait for answers, and
    no post is between its ledger row and its last byte."""
    channel.hold()
    held = -1
    while channel.held != held:
        held = channel.held
        await asyncio.sleep(0.3)


async def _outcome(database_url: str, result: LoadResult) -> None:
    """What the outbox says at the end: every row resolved, and how many were taken as sent unconfirmed."""
    rows = await query(database_url, select(recipients_table.c.state, recipients_table.c.reason))
    result.unresolved = sum(row.state in {RowState.PENDING.value, RowState.SENDING.value} for row in rows)
    result.unconfirmed = sum(row.reason == UNCONFIRMED for row in rows)


def _admins() -> dict[str, str]:
    return {"ADMIN_AAD_OBJECT_IDS": f"{ADMIN.aad_object_id},{SECOND.aad_object_id}"}


def _delivered(channel: TeamsChannel) -> int:
    return len({c.conversation_id for c in channel.calls(operation="send", status=201, path_contains=PREFIX)})


def _count(channel: TeamsChannel, result: LoadResult) -> None:
    sends = [c for c in channel.calls(operation="send", path_contains=PREFIX)]
    accepted = [c for c in sends if c.status == 201]
    per_recipient: dict[str, int] = {}
    for call in accepted:
        per_recipient[call.conversation_id or ""] = per_recipient.get(call.conversation_id or "", 0) + 1
    result.delivered = len(per_recipient)
    result.lost = result.recipients - result.delivered
    result.duplicates = sum(count - 1 for count in per_recipient.values())
    times = sorted(call.time for call in accepted)
    if len(times) > 1:
        result.seconds = times[-1] - times[0]
        result.rate = (len(times) - 1) / result.seconds
        result.share_of_ceiling = result.rate / result.ceiling
    posted = [c.arrived for c in channel.calls() if c.operation in POSTING and c.status < 300]
    result.busiest_second = busiest_second(posted)
    result.tenant_throttled = channel.tenant_throttled
    refused = sorted(c.time for c in sends if c.status == 429)
    result.injected_429 = len(refused) - result.tenant_throttled
    for moment in refused:
        result.sent_while_paused.append(bisect_right(times, moment + RETRY_AFTER) - bisect_right(times, moment))
    if result.delivered:
        result.cpu_ms_per_message = 1000 * result.cpu_seconds / result.delivered
