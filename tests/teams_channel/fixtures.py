"""pytest plugin: one emulator per test session, reset before each test that asks for `channel`.

Bot fixtures live elsewhere; these know nothing about the bot.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .channel import TeamsChannel
from .keys import TlsMaterial, write_tls_material


@pytest.fixture(scope="session")
def loopback_tls(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    """One certificate for every loopback token endpoint: MSAL trusts them all through one REQUESTS_CA_BUNDLE."""
    return write_tls_material(tmp_path_factory.mktemp("loopback-tls"))


@pytest.fixture(scope="session")
def teams_channel(loopback_tls: TlsMaterial) -> Iterator[TeamsChannel]:
    """The running emulator (own thread + loop), shared by the whole session."""
    channel = TeamsChannel(tls=loopback_tls).start()
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
