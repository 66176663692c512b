"""One instance's outbox workers: a feeder that claims rows in batches and consumers that deliver them.

Several instances run their own workers on one PostgreSQL and share the rows (claims skip rows another instance
locked); the per-tenant rate is one budget for all of them (`bot.pacing`), so more instances never send faster
than Teams allows. On SQLite the single instance runs them alone. The feeder keeps about a batch more claimed
than is being delivered, so the consumers never wait on the database between batches. Rows of an instance that
died are freed as soon as a peer (or the restarted bot) sees it gone, and delivered from there (see `outbox` for
why none is sent twice). On stop, nothing new is claimed; what is being delivered gets a grace period, the rest
is handed back at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.broadcasts.model import Row
from bot.broadcasts.outbox import action_of, later, unchanged
from bot.broadcasts.store import BroadcastStore
from bot.clock import Clock

log = logging.getLogger(__name__)

Handle = Callable[[Row], Awaitable[dict[str, Any]]]  # deliver a claimed row; returns what to write back
Settled = Callable[[set[str]], Awaitable[None]]  # rows of these broadcasts were handled: report, completion
Alive = Callable[[str], Awaitable[bool]]


@dataclass(frozen=True)
class WorkerLimits:
    concurrency: int = 32  # rows delivered at once per instance (most wait for the tenant's next slot)
    batch: int = 64  # rows claimed at once
    poll_seconds: float = 1.0  # work made by another instance (or due after a back-off) is noticed within this
    settle_seconds: float = 1.0  # how often the report of a broadcast being sent is brought up to date
    grace_seconds: float = 1.5  # on stop, deliveries under way may finish within this


class OutboxWorkers:
    def __init__(
        self,
        store: BroadcastStore,
        owner: str,
        alive: Alive,
        handle: Handle,
        settled: Settled,
        clock: Clock,
        limits: WorkerLimits | None = None,
    ) -> None:
        self._store = store
        self._owner = owner
        self._alive = alive
        self._handle = handle
        self._settled = settled
        self._clock = clock
        self.limits = limits or WorkerLimits()
        self._queue: asyncio.Queue[Row] = asyncio.Queue()
        self._busy = 0
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._touched: set[str] = set()
        self._feeder: asyncio.Task[None] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._stopping = False
        self.delivered = 0  # rows handled by this instance (metrics, tests)

    # ---- life ------------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._feeder = asyncio.create_task(self._feed(), name="outbox:feeder")
        self._workers = [
            asyncio.create_task(self._consume(), name=f"outbox:worker{n}") for n in range(self.limits.concurrency)
        ]
        self._workers.append(asyncio.create_task(self._report(), name="outbox:report"))

    def wake(self) -> None:
        """Work was made in this process (sending started, an edit, a recall, reminders): claim it now."""
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True
        if self._feeder is not None:
            self._feeder.cancel()
        while not self._queue.empty():  # not started: handed back below
            self._queue.get_nowait()
            self._queue.task_done()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.limits.grace_seconds):
                await self._queue.join()  # the deliveries under way
        tasks = [task for task in (self._feeder, *self._workers) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._store.release_owner(self._owner)
            await self._settled(self._touched)

    # ---- the feeder ------------------------------------------------------------------------------------------
    async def _feed(self) -> None:
        next_check = 0.0
        while not self._stopping:
            try:
                if self._clock.monotonic() >= next_check:
                    await self._free_dead()
                    next_check = self._clock.monotonic() + self.limits.poll_seconds
                held = self._queue.qsize() + self._busy
                room = self.limits.batch + self.limits.concurrency - held
                rows = await self._store.claim(self._owner, self._clock.now(), room) if room > 0 else []
            except Exception as error:
                log.warning("outbox claim failed (retried): %s", error)
                rows = []
            for row in rows:
                self._queue.put_nowait(row)
            if rows:
                self._room.clear()
                await self._wait(self._room)  # until the queue runs low
            else:
                self._wake.clear()
                await self._wait(self._wake)

    async def _wait(self, event: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.limits.poll_seconds):
                await event.wait()

    async def _free_dead(self) -> None:
        for owner in await self._store.owners():
            if owner != self._owner and not await self._alive(owner):
                freed = await self._store.release_owner(owner)
                log.warning("instance %s is gone: %d outbox row(s) it held are free again", owner, freed)
                self._wake.set()

    # ---- the consumers ---------------------------------------------------------------------------------------
    async def _consume(self) -> None:
        while True:
            row = await self._queue.get()
            self._busy += 1
            try:
                await self.deliver(row)
            finally:
                self._busy -= 1
                self._queue.task_done()
                if self._queue.qsize() < self.limits.batch // 2:
                    self._room.set()

    async def deliver(self, row: Row) -> None:
        """Handle one claimed row and write back what became of it (a failure is retried, never lost)."""
        try:
            values = await self._handle(row)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("outbox row %s of %s failed", row.recipient_key, row.broadcast_id)
            action = action_of(row)
            values = (
                unchanged(self._clock.now()) if action is None else later(row, action, repr(error), self._clock.now())
            )
        try:
            await self._store.finish(row, self._owner, **values)
        except Exception as error:  # the row stays ours: freed when we stop, or by a peer if we die
            log.warning("outbox row %s of %s not written back: %s", row.recipient_key, row.broadcast_id, error)
        self._touched.add(row.broadcast_id)
        self.delivered += 1

    # ---- reports ---------------------------------------------------------------------------------------------
    async def _report(self) -> None:
        while True:
            await self._clock.sleep(self.limits.settle_seconds)
            await self.settle()

    async def settle(self) -> None:
        """Tell the feature which broadcasts moved on (their report cards, whether they are done)."""
        touched, self._touched = self._touched, set()
        if touched:
            try:
                await self._settled(touched)
            except Exception:
                log.exception("reporting on broadcasts %s failed", sorted(touched))

    # ---- for tests and operators -----------------------------------------------------------------------------
    async def drain(self) -> int:
        """Deliver, here and now, every row that is due (tests steering the clock); how many were handled."""
        handled = 0
        while rows := await self._store.claim(self._owner, self._clock.now(), self.limits.batch):
            await asyncio.gather(*(self.deliver(row) for row in rows))
            handled += len(rows)
        await self.settle()
        return handled

    async def idle(self) -> None:
        """Wait until nothing is queued or being delivered here."""
        await self._queue.join()
