"""The limiter against a strict sliding-window counter, on a fake clock so hours of traffic take milliseconds."""

from __future__ import annotations

import asyncio
import random
from bisect import bisect_right

import pytest

from bot.ratelimit import TEAMS_CONVERSATION_WINDOWS, SlidingWindowLimiter, TeamsLimits, backoff_delays


class FakeClock:
    """A monotonic clock that only moves when someone sleeps; sleeping yields to the event loop."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        target = self.now + seconds
        await asyncio.sleep(0)
        self.now = max(self.now, target)  # concurrent sleepers may oversleep, never undersleep


def most_in_any_window(times: list[float], seconds: float) -> int:
    """The largest number of sends in any closed interval [t, t + seconds]: the strictest possible counter."""
    times = sorted(times)
    return max(bisect_right(times, t + seconds) - i for i, t in enumerate(times))


def assert_within_teams_limits(times: list[float]) -> None:
    for count, seconds in TEAMS_CONVERSATION_WINDOWS:
        assert most_in_any_window(times, seconds) <= count, f"more than {count} sends in {seconds} s"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limits(clock: FakeClock) -> TeamsLimits:
    return TeamsLimits(clock=clock, sleep=clock.sleep)


async def test_hundred_sends_stay_within_every_teams_window(clock: FakeClock, limits: TeamsLimits) -> None:
    limiter = limits.conversation_limiter()
    times = []
    for _ in range(100):
        await limiter.acquire("conv")
        times.append(clock())
    assert_within_teams_limits(times)
    assert times[:7] == [0.0] * 7  # bursts are allowed, not smoothed away
    assert times[-1] < 50  # and not needlessly slow: 60 / 30 s is the binding limit


async def test_exact_at_window_edges(clock: FakeClock) -> None:
    limiter = SlidingWindowLimiter([(2, 1.0)], clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(6):
        await limiter.acquire("k")
        times.append(clock())
    assert times == pytest.approx([0, 0, 1, 1, 2, 2])


async def test_keys_are_independent(clock: FakeClock, limits: TeamsLimits) -> None:
    limiter = limits.conversation_limiter()
    for _ in range(7):
        await limiter.acquire("a")
        await limiter.acquire("b")
    assert clock() == 0.0
    await limiter.acquire("a")
    assert clock() > 1.0


async def test_penalize_blocks_the_key_until_retry_after(clock: FakeClock, limits: TeamsLimits) -> None:
    limiter = limits.conversation_limiter()
    limiter.penalize("a", 5.0)
    limiter.penalize("a", 1.0)  # a shorter Retry-After does not shorten the wait
    await limiter.acquire("b")
    assert clock() == 0.0
    await limiter.acquire("a")
    assert clock() >= 5.0


async def test_penalty_during_a_wait_extends_it(clock: FakeClock) -> None:
    limiter = SlidingWindowLimiter([(1, 1.0)], clock=clock, sleep=clock.sleep)
    await limiter.acquire("a")
    waiting = asyncio.create_task(limiter.acquire("a"))
    await asyncio.sleep(0)  # the waiter is now sleeping towards t = 1
    limiter.penalize("a", 3.0)
    await waiting
    assert clock() >= 3.0


async def test_concurrent_senders_on_one_key_respect_limits_in_arrival_order(
    clock: FakeClock, limits: TeamsLimits
) -> None:
    limiter = limits.conversation_limiter()
    sent: list[tuple[int, float]] = []

    async def send(i: int) -> None:
        await limiter.acquire("conv")
        sent.append((i, clock()))

    await asyncio.gather(*(send(i) for i in range(200)))
    assert [i for i, _ in sent] == list(range(200))
    assert_within_teams_limits([t for _, t in sent])


async def test_idle_keys_are_forgotten(clock: FakeClock) -> None:
    limiter = SlidingWindowLimiter([(2, 1.0), (3, 10.0)], clock=clock, sleep=clock.sleep)
    await limiter.acquire("old")
    limiter.penalize("penalized", 25.0)
    clock.now = 10.0
    await limiter.acquire("new")
    assert len(limiter) == 2  # "old" left its longest window; "penalized" is still blocked
    clock.now = 30.0
    await limiter.acquire("new")
    assert len(limiter) == 1


def test_rejects_meaningless_windows() -> None:
    with pytest.raises(ValueError):
        SlidingWindowLimiter([])
    with pytest.raises(ValueError):
        SlidingWindowLimiter([(0, 1.0)])


def test_backoff_grows_and_is_capped() -> None:
    low = [backoff_delays(n, rand=lambda: 0.0) for n in range(8)]
    high = [backoff_delays(n, rand=lambda: 1.0) for n in range(8)]
    assert low == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    assert high == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert backoff_delays(10**6) <= 30.0  # huge attempt numbers neither overflow nor exceed the cap
    with pytest.raises(ValueError):
        backoff_delays(-1)


def test_backoff_is_jittered() -> None:
    rng = random.Random(7)
    delays = [backoff_delays(3, rand=rng.random) for _ in range(50)]
    assert all(2.0 <= d <= 4.0 for d in delays)
    assert len(set(delays)) == 50
