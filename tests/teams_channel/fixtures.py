"""pytest plugin: one emulator per test session, reset before each test that asks for `channel`.

Bot fixtures live elsewhere; these know nothing about the bot.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .channel import TeamsChannel


@pytest.fixture(scope="session")
def teams_channel() -> Iterator[TeamsChannel]:
    """The running emulator (own thread + loop), shared by the whole session."""
    channel = TeamsChannel().start()
    try:
        yield channel
    finally:
        channel.stop()


@pytest.fixture
def channel(teams_channel: TeamsChannel) -> Iterator[TeamsChannel]:
    """The session emulator with calls, faults, rate windows, latency and counters cleared."""
    teams_channel.reset()
    yield teams_channel
    teams_channel.latency = 0.0
