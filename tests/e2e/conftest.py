"""Fixtures for end-to-end tests: a started bot on a fresh database, talking to the loopback Teams channel."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.bot import RunningBot, start_bot
from tests.teams_channel.channel import TeamsChannel


@pytest.fixture
async def bot(channel: TeamsChannel, sqlite_url: str) -> AsyncIterator[RunningBot]:
    running = await start_bot(channel, sqlite_url)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def any_bot(channel: TeamsChannel, database_url: str) -> AsyncIterator[RunningBot]:
    """The bot on each storage engine in turn (SQLite, then PostgreSQL): for behaviour that must not differ."""
    running = await start_bot(channel, database_url)
    try:
        yield running
    finally:
        await running.stop()
