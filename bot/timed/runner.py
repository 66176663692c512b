"""The timer and the runner of timed work: the database says what is due, this process only wakes up to do it.

APScheduler (in memory only) is the alarm clock: a poll every few seconds, plus a wake-up at the earliest due time
it knows of. Each wake-up claims what is due (a lease), runs it with bounded concurrency and records the outcome:
a handler returns the next occurrence (recurring work), None (done), or raises (retried with backoff, never
dropped). A lost timer, a restart, an upgrade or a second instance therefore loses and doubles nothing:
- the next wake-up reads the table again, whatever happened to the last one;
- leases of an instance that died are freed as soon as a peer sees it is gone, so its work is done by another;
- a run that is retried keeps its occurrence, so sends keyed by it (the delivery ledger) go out once.
On stop, nothing new is claimed; running work gets a grace period, and what did not finish is handed back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import SYSTEM_CLOCK, Clock
from bot.instances import Instance
from bot.timed.store import DueItem, Planned, TimedWorkStore

log = logging.getLogger(__name__)

Handler = Callable[[DueItem], Awaitable[datetime | None]]

BACKOFF_FIRST_SECONDS = 15.0
BACKOFF_MAX_SECONDS = 3600.0


class RetryLater(Exception):
    """Raised by a handler when the work could not be done now (Teams or the database failed): try again later.

    `after` asks for a delay (e.g. a Retry-After); otherwise the runner backs off exponentially."""

    def __init__(self, reason: str, *, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds before try number `attempts + 1`: 15 s, 30 s, 1 min … capped at an hour, ±20 % jitter."""
    base = min(BACKOFF_FIRST_SECONDS * 2**attempts, BACKOFF_MAX_SECONDS)
    return base * (rng or random).uniform(0.8, 1.2)


@dataclass(frozen=True)
class RunnerLimits:
    lease: timedelta = timedelta(seconds=30)  # a dead instance's work is picked up after at most this (PostgreSQL)
    poll_seconds: float = 5.0  # work planned by other instances is noticed within this
    parallel: int = 8  # runs at once per instance
    grace_seconds: float = 8.0  # on stop, running work may finish within this (SIGTERM → exit well within 10 s)
    late_seconds: float = 120.0  # /healthz: work waiting longer than this past its time, or no wake-up for this long


class TimedWork:
    """What features use: plan, move, cancel and read timed work by stable name."""

    def __init__(self, store: TimedWorkStore, clock: Clock = SYSTEM_CLOCK) -> None:
        self._store = store
        self._clock = clock
        self._noticed: Callable[[datetime], None] = lambda _at: None

    def on_plan(self, noticed: Callable[[datetime], None]) -> None:
        """The runner asks to hear of new due times, so it can wake up for them."""
        self._noticed = noticed

    async def plan(self, name: str, item: str, at: datetime, payload: dict[str, Any] | None = None) -> None:
        """Run `name` for `item` at `at` (aware); replaces the item's earlier plan."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"timed work needs an aware time, got {at!r}")
        await self._store.plan(name, item, at, dict(payload or {}), self._clock.now())
        self._noticed(at)

    async def ensure(self, name: str, item: str, at: datetime | None, payload: dict[str, Any] | None = None) -> bool:
        """Plan `item` at `at` if nothing is planned for it (re-planning from a feature's own table at start);
        True when it had been missing."""
        if at is None:
            return False
        missing = await self._store.ensure(name, item, at, dict(payload or {}), self._clock.now())
        if missing:
            self._noticed(at)
        return missing

    async def cancel(self, name: str, item: str) -> bool:
        return await self._store.cancel(name, item)

    async def get(self, name: str, item: str) -> Planned | None:
        return await self._store.get(name, item)

    async def items(self, name: str) -> list[Planned]:
        return await self._store.items(name)


class TimedWorkRunner:
    def __init__(
        self,
        store: TimedWorkStore,
        instance: Instance,
        *,
        clock: Clock = SYSTEM_CLOCK,
        limits: RunnerLimits | None = None,
    ) -> None:
        self._store = store
        self._instance = instance
        self._clock = clock
        self.limits = limits or RunnerLimits()
        self._handlers: dict[str, Handler] = {}
        self._running: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._timer: AsyncIOScheduler | None = None
        self._tick_lock = asyncio.Lock()
        self._waking: asyncio.Task[None] | None = None
        self._again = False
        self._stopping = False
        self.last_wake: datetime | None = None
        self.last_error: str | None = None
        self.runs = 0

    def handle(self, name: str, handler: Handler) -> None:
        """Route due items named `name` to `handler`. Names live in the database: dotted words, never code paths."""
        if not name or ":" in name or name != name.strip().lower():
            raise ValueError(f"timed work name {name!r} must be a stable dotted name such as 'polls.close'")
        if name in self._handlers:
            raise ValueError(f"timed work {name!r} already has a handler")
        self._handlers[name] = handler

    @property
    def names(self) -> list[str]:
        return sorted(self._handlers)

    # ---- life ------------------------------------------------------------------------------------------------
    async def start(self) -> None:
        timer = AsyncIOScheduler(timezone="UTC", job_defaults={"misfire_grace_time": None, "coalesce": True})
        timer.add_job(self._wake, "interval", seconds=self.limits.poll_seconds, id="poll")
        timer.start()
        self._timer = timer
        await self.tick()

    async def stop(self) -> None:
        """Stop claiming; let running work finish within the grace period; hand back what did not."""
        self._stopping = True
        if self._timer is not None:
            self._timer.shutdown(wait=False)
            self._timer = None
        with contextlib.suppress(TimeoutError):  # a wake-up in progress finishes its claims (it starts nothing more)
            async with asyncio.timeout(self.limits.grace_seconds), self._tick_lock:
                pass
        running = list(self._running.values())
        if running:
            _, pending = await asyncio.wait(running, timeout=self.limits.grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("%d timed work run(s) did not finish within the grace period: handed back", len(pending))
                await asyncio.wait(pending, timeout=2.0)

    def notice(self, at: datetime) -> None:
        """Work was planned in this process: wake up at `at` if that is before the next poll."""
        timer = self._timer
        if timer is None or self._stopping:
            return
        with contextlib.suppress(Exception):  # a timer mid-shutdown: the next start reads the table anyway
            timer.add_job(self._wake, "date", run_date=max(at, self._clock.now()), id="wake", replace_existing=True)

    async def _wake(self) -> None:
        """The alarm went off: wake up now, or — if a wake-up is in progress — have it look once more when done
        (the alarm's job returns at once, so alarms never queue up behind a slow one)."""
        if self._waking is not None and not self._waking.done():
            self._again = True
            return
        self._waking = asyncio.create_task(self._wake_up())

    async def _wake_up(self) -> None:
        self._again = True
        while self._again and not self._stopping:
            self._again = False
            await self.tick()

    # ---- a wake-up -------------------------------------------------------------------------------------------
    async def tick(self, now: datetime | None = None) -> int:
        """Claim what is due and start it; returns how many runs started. Never raises: a failure is logged and
        the next poll tries again (a locked database can't leave the bot without a timer)."""
        if self._stopping:
            return 0
        async with self._tick_lock:
            moment = now or self._clock.now()
            try:
                started = await self._claim_and_start(moment)
            except Exception as error:
                self.last_error = f"{type(error).__name__}: {error}"[:300]
                log.warning("timed work wake-up failed (next poll retries): %s", self.last_error)
                return 0
            self.last_wake, self.last_error = moment, None
            return started

    async def _claim_and_start(self, now: datetime) -> int:
        await self._instance.heartbeat(now)
        await self._free_dead_leases()
        if self._running:
            await self._store.renew(self._instance.id, list(self._running), now + self.limits.lease)
        free = self.limits.parallel - len(self._running)
        items = await self._store.claim(self.names, self._instance.id, now, self.limits.lease, free)
        for item in items:
            key = (item.name, item.item)
            self._running[key] = asyncio.create_task(self._run(item), name=f"timed:{item.name}:{item.item}")
        upcoming = await self._store.next_due(self.names)
        if upcoming is not None and upcoming > now:
            self.notice(upcoming)
        return len(items)

    async def _free_dead_leases(self) -> None:
        for owner in await self._store.lease_owners():
            if owner != self._instance.id and not await self._instance.alive(owner):
                freed = await self._store.release_owner(owner)
                log.warning("instance %s is gone: %d timed work lease(s) freed", owner, freed)

    async def _run(self, item: DueItem) -> None:
        key = (item.name, item.item)
        owner = self._instance.id
        try:
            following = await self._handlers[item.name](item)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._store.release(item, owner))
            raise
        except Exception as error:
            delay = error.after if isinstance(error, RetryLater) and error.after is not None else None
            delay = delay if delay is not None else backoff(item.attempts)
            level = logging.WARNING if isinstance(error, RetryLater) else logging.ERROR
            log.log(
                level,
                "timed work %s:%s failed (try %d), again in %.0fs: %s",
                item.name,
                item.item,
                item.attempts + 1,
                delay,
                error,
                exc_info=not isinstance(error, RetryLater),
            )
            now = self._clock.now()
            await self._settle(self._store.retry(item, owner, now + timedelta(seconds=delay), repr(error), now))
        else:
            await self._settle(self._store.finish(item, owner, following, self._clock.now()))
        finally:
            self._running.pop(key, None)
            self.runs += 1
        if not self._stopping and len(self._running) < self.limits.parallel:
            self.notice(self._clock.now())  # more may be waiting for a free slot

    @staticmethod
    async def _settle(write: Awaitable[None]) -> None:
        """Record an outcome; if the database refuses, the lease lapses and the run is retried (same occurrence)."""
        try:
            await write
        except Exception as error:
            log.warning("timed work outcome not recorded (the run will be retried): %s", error)

    # ---- for tests and operators -----------------------------------------------------------------------------
    async def run_due(self, now: datetime | None = None) -> int:
        """Run everything due at `now` to completion (including runs a background wake-up started)."""
        total = 0
        while True:
            started = await self.tick(now)
            total += started
            await self.idle()
            if not started:
                return total

    async def idle(self) -> None:
        """Wait until no run is in progress."""
        while self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)

    async def health(self) -> dict[str, Any]:
        """Late work, a dead timer or a failing wake-up make the bot degraded."""
        now = self._clock.now()
        summary = await self._store.summary(self.names, now)
        oldest: datetime | None = summary.pop("oldest_overdue")
        overdue = (now - oldest).total_seconds() if oldest is not None else 0.0
        since_wake = (now - self.last_wake).total_seconds() if self.last_wake else None
        late = overdue > self.limits.late_seconds or since_wake is None or since_wake > self.limits.late_seconds
        return {
            "ok": not late and self.last_error is None,
            "running": len(self._running),
            "last_wake_seconds_ago": None if since_wake is None else round(since_wake, 1),
            "oldest_overdue_seconds": round(max(overdue, 0.0), 1),
            "error": self.last_error,
            **summary,
        }
