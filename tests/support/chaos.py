"""Chaos scenarios against real bot processes: kill -9 in a vote burst, SIGTERM with work running, two instances
on one database. `make test` runs them small; `make chaos` (bench/chaos.py) runs them big and prints figures.

Each scenario plays Teams: it signs activities, retries what got no 2xx answer (as Teams does when the bot
dies), and counts what the emulator received per conversation.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bot.ideas.tables import ideas as idea_rows
from bot.nudges.model import Nudge
from bot.nudges.store import NudgeStore
from bot.polls.tables import poll_ballots, poll_choices, polls
from bot.store import Store
from bot.store.tables import timed_work
from bot.timed import RunnerLimits, TimedWorkStore
from tests.support.bot import process_environment
from tests.support.process import BotProcess, free_port
from tests.teams_channel.activities import Conversation
from tests.teams_channel.channel import TeamsChannel

OPTIONS = ("和食", "洋食", "中華")
PARALLEL_RUNS = RunnerLimits().parallel  # timed work runs at once per bot process


class Bots:
    """Bot processes on one database, started and killed on demand; their logs are kept for failures."""

    def __init__(self, channel: TeamsChannel, database_url: str, work: Path, **env: str) -> None:
        self.channel, self.database_url, self.work, self.env = channel, database_url, work, env
        self.started: list[BotProcess] = []

    def start(self) -> BotProcess:
        number = len(self.started)
        bot = BotProcess(
            process_environment(self.channel, self.database_url, free_port(), **self.env),
            self.work / f"bot{number}.log",
        )
        self.started.append(bot)
        bot.wait_healthy(timeout=60)
        return bot

    def stop_all(self) -> None:
        for bot in self.started:
            if bot.process.poll() is None:
                bot.stop(kill=True)

    def logs(self) -> str:
        return "\n".join(f"--- {bot.log_path.name}\n{bot.log()[-4000:]}" for bot in self.started)


async def query(database_url: str, statement: Any) -> list[Any]:
    store = Store.open(database_url)
    try:
        async with store.engine.begin() as conn:
            return list((await conn.execute(statement)).all())
    finally:
        await store.close()


async def post_all(
    channel: TeamsChannel,
    url: str,
    activities: Sequence[dict[str, Any]],
    *,
    concurrency: int,
    on_answer: Callable[[int], None] | None = None,
) -> set[int]:
    """POST each activity (signed); the indexes of those answered 2xx. A dead bot answers nothing (not an error)."""
    answered: set[int] = set()
    gate = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=20)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(index: int) -> None:
            async with gate:
                try:
                    status, _ = await channel.post_activity(url, activities[index], session=session)
                except (aiohttp.ClientError, TimeoutError):
                    return  # the bot died under this request: Teams will retry it
                if 200 <= status < 300:
                    answered.add(index)
                    if on_answer is not None:
                        on_answer(len(answered))

        await asyncio.gather(*(one(index) for index in range(len(activities))))
    return answered


# ---- kill -9 in a burst of user activity ----------------------------------------------------------------------
@dataclass
class Kills:
    """What Teams saw while the bot was killed under a burst."""

    acknowledged_before_kills: list[int] = field(default_factory=list)  # 2xx answers before each kill
    retried: int = 0  # deliveries Teams had to repeat (no answer: the bot was killed under them)


async def burst_with_kills(
    bots: Bots,
    bot: BotProcess,
    activities: Sequence[dict[str, Any]],
    *,
    concurrency: int,
    kill_after: Sequence[int],
    duplicates: int,
) -> tuple[BotProcess, Kills]:
    """Post every activity; SIGKILL the bot once it has answered each number of activities in `kill_after`
    (counted from the start) and start another; repeat what got no answer, as Teams does, and at the end send
    `duplicates` answered activities again. The bot that is running at the end, and what happened."""
    kills, pending, total = Kills(), list(range(len(activities))), len(activities)
    for kill_point in [*kill_after, None]:
        victim, before, killed = bot, total - len(pending), False

        def kill_at(
            answers: int, victim: BotProcess = victim, point: int | None = kill_point, before: int = before
        ) -> None:
            nonlocal killed
            if point is not None and before + answers >= point and not killed:
                victim.process.send_signal(signal.SIGKILL)
                killed = True

        batch = [activities[i] for i in pending]
        answered = await post_all(
            bots.channel, f"{bot.url}/api/messages", batch, concurrency=concurrency, on_answer=kill_at
        )
        pending = [index for position, index in enumerate(pending) if position not in answered]
        if killed:  # Teams retries what got no answer, at the restarted bot
            # Its sockets close before the process is reaped: poll() may still say "running" when every request
            # has already failed, so wait for the exit rather than ask.
            victim.process.wait(timeout=30)
            kills.acknowledged_before_kills.append(total - len(pending))
            kills.retried += len(pending)
            bot = bots.start()
    assert not pending, f"{len(pending)} activities unanswered by a running bot:\n{bots.logs()}"
    again = random.Random(7).sample(range(total), min(duplicates, total))
    answered = await post_all(bots.channel, f"{bot.url}/api/messages", [activities[i] for i in again], concurrency=10)
    assert len(answered) == len(again), "a retried activity was refused"
    return bot, kills


@dataclass
class BurstResult:
    voters: int
    ballots: int
    counts: dict[int, int]
    expected: dict[int, int]
    kills: Kills
    duplicates_sent: int = 0  # answered deliveries sent again
    seconds: float = 0.0


async def vote_burst_with_kills(
    channel: TeamsChannel,
    database_url: str,
    work: Path,
    *,
    voters: int,
    concurrency: int,
    kill_after: Sequence[int],
    duplicates: int = 50,
) -> BurstResult:
    """Votes from `voters` people on one poll, the bot killed mid-burst (see `burst_with_kills`)."""
    started = time.monotonic()
    bots = Bots(channel, database_url, work)
    try:
        bot = bots.start()
        room = Conversation.channel()
        url = f"{bot.url}/api/messages"
        b = channel.builder
        assert (await channel.post_activity(url, b.installation_update("add", conversation=room)))[0] == 200
        question = f"投票 今日のランチ? / {' / '.join(OPTIONS)}"
        assert (await channel.post_activity(url, b.message(question, conversation=room, mention_bot=True)))[0] == 200
        [(poll_id,)] = await query(database_url, select(polls.c.poll_id))
        votes = [
            b.card_action(
                "poll.vote", {"poll_id": poll_id, "choice": i % 3}, conversation=room, user=b.user(f"職員 {i:05d}")
            )
            for i in range(voters)
        ]
        bot, kills = await burst_with_kills(
            bots, bot, votes, concurrency=concurrency, kill_after=kill_after, duplicates=duplicates
        )
        ballots = (await query(database_url, select(func.count()).select_from(poll_ballots)))[0][0]
        rows = await query(database_url, select(poll_choices.c.option, func.count()).group_by(poll_choices.c.option))
        return BurstResult(
            voters,
            ballots,
            {int(option): int(count) for option, count in rows},
            {o: len(range(o, voters, 3)) for o in range(3)},
            kills,
            min(duplicates, voters),
            time.monotonic() - started,
        )
    finally:
        bots.stop_all()


@dataclass
class IdeaBurstResult:
    submitted: int
    stored: int
    cards_per_idea: dict[str, int]
    kills: Kills
    seconds: float = 0.0


async def idea_burst_with_kills(
    channel: TeamsChannel,
    database_url: str,
    work: Path,
    *,
    ideas: int,
    concurrency: int,
    kill_after: Sequence[int],
    duplicates: int = 30,
) -> IdeaBurstResult:
    """Ideas submitted by `ideas` people into the organisation's idea channel, the bot killed mid-burst: each idea
    must be stored once and its card posted in the channel once."""
    started = time.monotonic()
    b = channel.builder
    admin = b.user("管理 者")
    bots = Bots(channel, database_url, work, ADMIN_AAD_OBJECT_IDS=admin.aad_object_id)
    try:
        bot = bots.start()
        room = Conversation.channel()
        url = f"{bot.url}/api/messages"
        assert (await channel.post_activity(url, b.installation_update("add", conversation=room, user=admin)))[0] == 200
        choose = b.message("アイデア 投稿先 全体", conversation=room, user=admin, mention_bot=True)
        assert (await channel.post_activity(url, choose))[0] == 200
        titles = [f"改善案 {i:05d}" for i in range(ideas)]
        submissions = []
        for i, title in enumerate(titles):
            person = b.user(f"職員 {i:05d}")
            form = {"dialog": "ideas.submit", "step": "post", "title": title, "body": "", "category": "業務改善"}
            submissions.append(b.task_submit(form, conversation=b.personal(person), user=person))
        bot, kills = await burst_with_kills(
            bots, bot, submissions, concurrency=concurrency, kill_after=kill_after, duplicates=duplicates
        )
        stored = (await query(database_url, select(func.count()).select_from(idea_rows)))[0][0]

        def cards() -> dict[str, int]:
            posted = [str(activity) for activity in channel.activities_in(room.id)]
            return {title: sum(title in text for text in posted) for title in titles}

        # Teams lets a bot post 60 messages per 30 s into one conversation: the cards take their time.
        await wait_until(lambda: min(cards().values()) >= 1, 30 + ideas * 0.6, "every idea's card in the idea channel")
        await asyncio.sleep(1)  # a second card, if one were coming, would come now
        return IdeaBurstResult(ideas, stored, cards(), kills, time.monotonic() - started)
    finally:
        bots.stop_all()


# ---- due work: nudges that fall due at once ------------------------------------------------------------------------
async def install_rooms(channel: TeamsChannel, url: str, count: int) -> list[str]:
    rooms = [Conversation.channel() for _ in range(count)]
    installs = [channel.builder.installation_update("add", conversation=room) for room in rooms]
    answered = await post_all(channel, url, installs, concurrency=20)
    assert len(answered) == count
    return [room.id for room in rooms]


async def due_nudges(database_url: str, rooms: Sequence[str], at: datetime) -> list[str]:
    """One daily nudge per room, its timed work due at `at` (as if a busy 09:00 had come)."""
    store = Store.open(database_url)
    try:
        nudges, timed = NudgeStore(store.engine), TimedWorkStore(store.engine)
        ids = []
        for number, room in enumerate(rooms):
            nudge = await nudges.add(
                Nudge(
                    nudge_id=f"{number:032x}",
                    tenant_id=None,
                    conversation_id=room,
                    place_id=room,
                    conversation_type="channel",
                    creator_key="lead",
                    lang="ja",
                    text=f"ナッジ {number}",
                    kind="daily",
                    at_time="09:00",
                    weekdays=[],
                    day_of_month=None,
                    on_date=None,
                    working_days_only=False,
                    paused=False,
                    next_run_at=at,
                )
            )
            await timed.plan("nudges.post", nudge.nudge_id, at, {}, at)
            ids.append(nudge.nudge_id)
        return ids
    finally:
        await store.close()


def delivered(channel: TeamsChannel, rooms: Sequence[str]) -> dict[str, int]:
    """How many nudges reached each room."""
    return {room: sum("ナッジ" in str(a) for a in channel.activities_in(room)) for room in rooms}


async def wait_until(check: Callable[[], bool], timeout: float, what: str) -> float:  # noqa: ASYNC109
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not within {timeout}s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


@dataclass
class ShutdownResult:
    items: int
    delivered_before_stop: int
    exit_seconds: float
    exit_code: int | None
    per_room: dict[str, int]
    seconds_to_finish_after_restart: float


async def sigterm_with_due_work(channel: TeamsChannel, database_url: str, work: Path, *, items: int) -> ShutdownResult:
    """SIGTERM while `items` nudges are being posted; a restart delivers the rest, none twice."""
    bots = Bots(channel, database_url, work, QUIET_HOURS="00:00-00:00")
    try:
        bot = bots.start()
        rooms = await install_rooms(channel, f"{bot.url}/api/messages", items)
        channel.reset()
        channel.latency = 0.25  # Teams under load: each post takes a while
        await due_nudges(database_url, rooms, datetime.now(UTC) - timedelta(seconds=1))
        await wait_until(lambda: sum(delivered(channel, rooms).values()) >= 10, 30, "first nudges")
        before = sum(delivered(channel, rooms).values())
        stopping = time.monotonic()
        bot.process.send_signal(signal.SIGTERM)
        code = bot.process.wait(timeout=30)
        exit_seconds = time.monotonic() - stopping
        bots.start()
        finish = await wait_until(lambda: all(delivered(channel, rooms).values()), 120, "every nudge")
        await asyncio.sleep(1.0)  # a second copy would arrive now
        return ShutdownResult(items, before, exit_seconds, code, delivered(channel, rooms), finish)
    finally:
        channel.latency = 0.0
        bots.stop_all()


@dataclass
class SharedWorkResult:
    items: int
    per_room: dict[str, int]
    killed_after: int  # deliveries when one instance was killed
    seconds_to_finish_after_kill: float
    leases_left: int


async def two_instances_share_due_work(
    channel: TeamsChannel, database_url: str, work: Path, *, items: int
) -> SharedWorkResult:
    """Two bot processes on one PostgreSQL; `items` nudges due at the same minute; one instance is killed with
    SIGKILL while they are being posted. Each is delivered once, the survivor finishing the dead one's share.

    The kill comes while Teams holds every post of both instances unanswered, so none is half-sent: whether a
    post that was cut off mid-request counts is a coin toss no system can win (see bot.store.ledger)."""
    bots = Bots(channel, database_url, work, QUIET_HOURS="00:00-00:00")
    try:
        first, second = bots.start(), bots.start()
        rooms = await install_rooms(channel, f"{first.url}/api/messages", items)
        channel.reset()
        channel.latency = 0.2
        await due_nudges(database_url, rooms, datetime.now(UTC) - timedelta(seconds=1))
        await wait_until(lambda: sum(delivered(channel, rooms).values()) >= items // 4, 60, "a quarter delivered")
        channel.hold()
        await wait_until(lambda: channel.held >= 2 * PARALLEL_RUNS, 30, "every run of both instances posting")
        killed_after = sum(delivered(channel, rooms).values())
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=30)
        channel.release()
        finish = await wait_until(lambda: all(delivered(channel, rooms).values()), 90, "the dead instance's share")
        await asyncio.sleep(1.0)
        leases = await query(
            database_url, select(func.count()).select_from(timed_work).where(timed_work.c.lease_owner.is_not(None))
        )
        assert second.process.poll() is None
        return SharedWorkResult(items, delivered(channel, rooms), killed_after, finish, leases[0][0])
    finally:
        channel.latency = 0.0
        bots.stop_all()
