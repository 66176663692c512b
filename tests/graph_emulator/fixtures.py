"""pytest plugin: one Graph emulator per test session, reset to an empty tenant before each test that asks for
`graph`. It shares the Teams channel emulator's certificate (`loopback_tls`), so one CA bundle trusts both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.teams_channel.keys import TlsMaterial

from .emulator import GraphEmulator


@pytest.fixture(scope="session")
def graph_emulator(loopback_tls: TlsMaterial) -> Iterator[GraphEmulator]:
    """The running emulator (own thread + loop), shared by the whole session."""
    emulator = GraphEmulator(tls=loopback_tls).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def graph(graph_emulator: GraphEmulator) -> Iterator[GraphEmulator]:
    """The session emulator as an empty tenant: the bot's app published and granted its documented permissions."""
    graph_emulator.reset()
    yield graph_emulator
    graph_emulator.latency = 0.0
