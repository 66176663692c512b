"""Sliding-window rate limiter with Teams' per-bot-per-conversation limits (and any other windows, e.g. per tenant)."""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Callable, Hashable

from .config import TEAMS_RATE_WINDOWS


class RateLimiter:
    """Counts accepted requests per key; `acquire` answers None (allowed) or seconds to wait.

    Rejected requests do not count, so a client honouring Retry-After gets through.
    Not thread-safe on its own: the connector calls it under its lock.
    """

    def __init__(
        self,
        windows: tuple[tuple[float, int], ...] = TEAMS_RATE_WINDOWS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.windows = windows
        self._clock = clock
        self._horizon = max(w for w, _ in windows)
        self._hits: dict[Hashable, list[float]] = {}

    def acquire(self, key: Hashable) -> float | None:
        wait = self.wait(key)
        if wait is None:
            self.hit(key)
        return wait

    def wait(self, key: Hashable, now: float | None = None) -> float | None:
        """Seconds until a request on `key` arriving at `now` (default: this moment) would be allowed (None: at
        once), without counting one."""
        now = self._clock() if now is None else now
        hits = self._hits.setdefault(key, [])
        cut = bisect.bisect_right(hits, now - self._horizon)
        if cut:
            del hits[:cut]
        wait = 0.0
        for window, limit in self.windows:
            inside = len(hits) - bisect.bisect_right(hits, now - window)
            if inside >= limit:
                # The request becomes legal once the oldest of the last `limit` hits leaves the window.
                wait = max(wait, hits[len(hits) - limit] + window - now)
        return wait if wait > 0 else None

    def hit(self, key: Hashable, now: float | None = None) -> None:
        """Count a request on `key` arriving at `now` (default: this moment)."""
        bisect.insort(self._hits.setdefault(key, []), self._clock() if now is None else now)

    def reset(self) -> None:
        self._hits.clear()


def retry_after_header(seconds: float) -> str:
    """Retry-After is whole seconds; never advertise 0 (clients would spin)."""
    return str(max(1, math.ceil(seconds)))
