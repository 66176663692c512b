"""One per-tenant rate budget for everything the bot sends on its own, shared by every instance of the bot.

Teams allows an app about 50 calls per second per tenant, counted for the app — not per bot process. Limiters kept
in each process (fine per conversation: one instance sends a conversation's burst) would let two instances send
100 per second. So the tenant's budget is one schedule of send slots: `Pace.reserve` hands out the next slots from
a shared state (the generic cell rate algorithm: the time of the next free slot). On PostgreSQL the state is a
row per tenant, locked while a reservation is taken (`bot.store.pacing`); on SQLite, which serves one instance,
it lives in memory. Each instance reserves a few slots at a time and sends in them.

Slots are `(1 + MARGIN) / rate` apart: a request that leaves a few milliseconds late must not let the one after it
arrive early enough to put `rate + 1` calls into one second at Teams. A 429 slows the whole tenant down: nobody
sends for its Retry-After, then the rate restarts at `SLOW_START` and climbs back to full over `RECOVERY_SECONDS`.
A tenant that really is over Teams' budget backs off further with every 429; a stray 429 costs about a second.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

MARGIN = 0.02  # slots 2 % wider than the rate: 20 ms of jitter at 50/s can't make 51 calls in one second
SLOW_START = 0.5  # the share of the rate right after a back-off
RECOVERY_SECONDS = 1.0  # from SLOW_START back to the full rate
TIMER_SLACK = 0.003  # a departure this late is still on schedule (event loop timers wake a little late)
LATE = 0.01  # a request this far behind its slot takes a new one (half the margin's 20 ms per second at 50/s)
CHUNK = 8  # slots reserved at once when several sends wait (one database round trip per CHUNK sends)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Pace:
    """A tenant's shared schedule, in seconds on the clock of whoever keeps it."""

    next_at: float = float("-inf")  # the next free slot
    slowed_until: float = float("-inf")  # the end of the latest back-off: the rate climbs back from there

    def speed(self, at: float) -> float:
        """The share of the full rate at moment `at`: SLOW_START right after a back-off, 1 once recovered."""
        recovered = (at - self.slowed_until) / RECOVERY_SECONDS
        return 1.0 if recovered >= 1 else SLOW_START + (1 - SLOW_START) * max(0.0, recovered)

    def reserve(self, now: float, count: int, interval: float) -> tuple[Pace, list[float]]:
        """The next `count` slots (never before `now`) and the schedule after them."""
        at = max(self.next_at, now)
        slots = []
        for _ in range(count):
            slots.append(at)
            at += interval / self.speed(at)
        return replace(self, next_at=at), slots

    def back_off(self, now: float, seconds: float) -> Pace:
        """Nobody sends for `seconds` (a 429's Retry-After); then the rate climbs back from SLOW_START."""
        until = now + seconds
        return Pace(max(self.next_at, until), max(self.slowed_until, until))


class Reservations(Protocol):
    """Where a tenant's `Pace` is kept. Slots are returned as seconds from now (the keeper's now)."""

    async def reserve(self, tenant_id: str, count: int, interval: float) -> list[float]: ...

    async def back_off(self, tenant_id: str, seconds: float) -> None: ...


class MemoryReservations:
    """The schedule of a single instance (SQLite allows no second one)."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._paces: dict[str, Pace] = {}

    async def reserve(self, tenant_id: str, count: int, interval: float) -> list[float]:
        now = self._clock()
        self._paces[tenant_id], slots = self._paces.get(tenant_id, Pace()).reserve(now, count, interval)
        return [slot - now for slot in slots]

    async def back_off(self, tenant_id: str, seconds: float) -> None:
        self._paces[tenant_id] = self._paces.get(tenant_id, Pace()).back_off(self._clock(), seconds)


@dataclass
class _Tenant:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    slots: deque[float] = field(default_factory=deque)  # reserved, not yet used (this clock's monotonic time)
    departed: float = float("-inf")  # when this instance's latest request left (or will: departures are booked)
    paused_until: float = float("-inf")
    waiting: int = 0


class TenantBudget:
    """What the sender awaits before each bot-initiated call: the tenant's next slot."""

    def __init__(
        self,
        rate_per_second: float,
        reservations: Reservations | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError(f"rate_per_second must be positive, got {rate_per_second}")
        self.interval = (1 + MARGIN) / rate_per_second
        self._reservations = reservations or MemoryReservations(clock)
        self._clock = clock
        self._sleep = sleep
        self._tenants: dict[str, _Tenant] = {}

    async def acquire(self, tenant_id: str) -> float:
        """Return in the tenant's next slot, and its time. Waiters go one by one in arrival order. (`depart`
        spaces the requests themselves.)"""
        tenant = self._tenants.setdefault(tenant_id, _Tenant())
        tenant.waiting += 1
        try:
            async with tenant.lock:
                while True:
                    while tenant.slots and tenant.slots[0] < self._clock() - TIMER_SLACK:
                        tenant.slots.popleft()  # passed unused (a stall): that moment's budget is gone
                    if not tenant.slots:
                        wanted = min(CHUNK, tenant.waiting)
                        offsets = await self._reservations.reserve(tenant_id, wanted, self.interval)
                        base = self._clock()
                        tenant.slots.extend(base + offset for offset in offsets)
                    due = max(tenant.slots[0], tenant.paused_until)
                    delay = due - self._clock()
                    if delay <= 0:
                        break
                    await self._sleep(delay)  # a back-off meanwhile drops the slots: the loop takes new ones
                return tenant.slots.popleft()
        finally:
            tenant.waiting -= 1

    def late(self, slot: float) -> bool:
        """Whether a request that got `slot` would now leave too far behind it. Another instance sends in the
        slots after it on time: together they could put more than the rate into one second at Teams."""
        return self._clock() - slot > LATE

    async def depart(self, tenant_id: str) -> None:
        """Return when a request may leave: never closer than the interval to this instance's previous one. What
        happens between a slot and the request (a database write) may stall; without this, the requests after a
        stall would leave together and put more than the rate into one second at Teams."""
        tenant = self._tenants.setdefault(tenant_id, _Tenant())
        while True:
            now = self._clock()
            at = max(tenant.departed + self.interval, tenant.paused_until)
            if at <= now:
                # On time give or take the timer's own lateness: keep to the schedule (else every wake-up's
                # millisecond would add to the interval); later than that, start a new schedule from now.
                tenant.departed = max(at, now - TIMER_SLACK)
                return
            await self._sleep(at - now)  # then look again: a back-off (or another departure) may have come

    async def back_off(self, tenant_id: str, seconds: float) -> None:
        """Teams answered 429: the whole tenant waits `seconds`, here and (shared) in every instance."""
        tenant = self._tenants.setdefault(tenant_id, _Tenant())
        tenant.slots.clear()
        tenant.paused_until = max(tenant.paused_until, self._clock() + seconds)
        await self._reservations.back_off(tenant_id, seconds)
