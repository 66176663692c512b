"""Client-side rate limiting for Teams, so proactive sends stay under the limits instead of collecting 429s.

Teams counts sends per bot per conversation in several sliding windows at once (7 / 1 s, 8 / 2 s, 60 / 30 s,
1800 / h) and per app per tenant (~50 / s: `bot.pacing`, one budget for all instances). `SlidingWindowLimiter`
enforces any set of such windows per key; `TeamsLimits` builds the per-conversation one; `backoff_delays` spaces
retries of 412/502/503/504.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

TEAMS_CONVERSATION_WINDOWS: tuple[tuple[int, float], ...] = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))


@dataclass
class _KeyState:
    sends: deque[float]  # the latest send times, as many as the largest window counts
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    blocked_until: float = -math.inf
    users: int = 0  # coroutines inside acquire(); a key in use is never forgotten


class SlidingWindowLimiter:
    """Waits until a send on `key` keeps every (count, seconds) window within its count, then records it.

    Exact sliding windows: a send at t and one at t + seconds are not in the same window. Callers on one key
    queue on a per-key FIFO lock, so concurrent senders go one by one in arrival order instead of all waking
    at once. Keys idle for longer than the longest window are forgotten, which bounds memory by the number of
    keys active within that window.
    """

    def __init__(
        self, windows: Iterable[tuple[int, float]], *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.windows = tuple(sorted(windows, key=lambda w: w[1]))
        if not self.windows or any(count < 1 or seconds <= 0 for count, seconds in self.windows):
            raise ValueError(f"windows must be non-empty (count >= 1, seconds > 0) pairs, got {self.windows}")
        self._history = max(count for count, _ in self.windows)
        self._longest = self.windows[-1][1]
        self._clock = clock
        self._sleep = sleep
        self._keys: dict[str, _KeyState] = {}
        self._next_sweep = clock() + self._longest

    def __len__(self) -> int:
        """Keys currently remembered (for metrics and tests)."""
        return len(self._keys)

    async def acquire(self, key: str) -> None:
        """Return once sending on `key` now stays within every window; the send is counted from now."""
        self._sweep()
        state = self._state(key)
        state.users += 1
        try:
            async with state.lock:
                while (delay := self._delay(state, self._clock())) > 0:
                    await self._sleep(delay)
                state.sends.append(self._clock())
        finally:
            state.users -= 1

    def penalize(self, key: str, seconds: float) -> None:
        """Nobody sends on `key` for `seconds` (a 429's Retry-After); never shortens an earlier penalty."""
        state = self._state(key)
        state.blocked_until = max(state.blocked_until, self._clock() + seconds)

    def _state(self, key: str) -> _KeyState:
        if (state := self._keys.get(key)) is None:
            state = self._keys[key] = _KeyState(deque(maxlen=self._history))
        return state

    def _delay(self, state: _KeyState, now: float) -> float:
        """Seconds until a send is allowed: the penalty, and per window the moment its oldest send leaves it."""
        delay = state.blocked_until - now
        sends = state.sends
        for count, seconds in self.windows:
            if len(sends) >= count:
                delay = max(delay, sends[-count] + seconds - now)
        return delay

    def _sweep(self) -> None:
        now = self._clock()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._longest
        idle = [key for key, state in self._keys.items() if self._is_idle(state, now)]
        for key in idle:
            del self._keys[key]

    def _is_idle(self, state: _KeyState, now: float) -> bool:
        last_send = state.sends[-1] if state.sends else -math.inf
        return state.users == 0 and state.blocked_until <= now and last_send + self._longest <= now


@dataclass(frozen=True)
class TeamsLimits:
    """Limiters for Teams' documented limits; `margin` seconds widen every window against clock skew and jitter."""

    margin: float = 0.1
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep

    def conversation_limiter(self) -> SlidingWindowLimiter:
        """Per bot per conversation: key by conversation id."""
        windows = [(count, seconds + self.margin) for count, seconds in TEAMS_CONVERSATION_WINDOWS]
        return SlidingWindowLimiter(windows, clock=self.clock, sleep=self.sleep)


def backoff_delays(
    attempt: int, *, base: float = 0.5, cap: float = 30.0, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before retry `attempt` (0 = first retry): exponential, capped, with "equal jitter".

    Half the delay is fixed so it always grows with `attempt`; the other half is random so many senders
    retrying after one outage do not hit the service in lockstep.
    """
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    ceiling = min(cap, base * 2 ** min(attempt, 32))  # min() keeps 2**attempt from overflowing a float
    return ceiling / 2 + rand() * ceiling / 2
