"""The bot under test, in-process: the real app factory on a real loopback port, pointed at the emulator."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from app import create_app
from bot.application import PLATFORM, Platform
from bot.feature import Feature
from bot.settings import Settings
from bot.timed import RunnerLimits
from tests.support.clock import SteerableClock
from tests.teams_channel.channel import TeamsChannel

# A fixed anonymity key, so a restarted test bot still knows the ballots of its anonymous polls.
TEST_ANONYMITY_KEY = "a1" * 32
CARD_INTERVAL = 0.05  # tests don't sit through Teams' 3 s between shared card updates
TEST_LIMITS = RunnerLimits(poll_seconds=0.5, grace_seconds=3.0)
TOKYO = ZoneInfo("Asia/Tokyo")


@dataclass
class RunningBot:
    """A started bot: its URL, its platform (to inspect the store) and the emulator it talks to."""

    url: str
    channel: TeamsChannel
    runner: web.AppRunner
    settings: Settings
    clock: SteerableClock

    @property
    def messages_url(self) -> str:
        return f"{self.url}/api/messages"

    @property
    def platform(self) -> Platform:
        return self.runner.app[PLATFORM]

    def feature(self, name: str) -> Any:
        """A feature as the app built it (its service, its store)."""
        found: Feature = self.platform.features[name]
        return found

    async def run_timed(self, name: str, item: str, at: datetime) -> None:
        """Run timed work `name` of `item` as if it fell due at `at` (the bot's clock shows `at` meanwhile)."""
        with self.clock.stopped_at(at):
            await self.platform.timed.plan(name, item, at)
            await self.platform.runner.run_due(at)

    async def run_due(self, at: datetime | None = None) -> None:
        """Run all timed work due at `at` (default: now) to the end, the bot's clock showing `at`."""
        if at is None:
            await self.platform.runner.run_due()
            return
        with self.clock.stopped_at(at):
            await self.platform.runner.run_due(at)

    async def planned(self, name: str, item: str) -> datetime | None:
        """When timed work `name` of `item` is due next, in Tokyo time (None: nothing planned)."""
        found = await self.platform.timed.get(name, item)
        return None if found is None else found.due_at.astimezone(TOKYO)

    async def post(self, activity: Mapping[str, Any], *, token: str | None = "auto") -> tuple[int, Any]:
        return await self.channel.post_activity(self.messages_url, activity, token=token)

    async def stop(self) -> None:
        await self.runner.cleanup()


def bot_environment(channel: TeamsChannel, database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a bot talking to the emulator (in-process or as `python app.py`)."""
    env = {
        **channel.env(),
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": "0",
        "ANONYMITY_KEY": TEST_ANONYMITY_KEY,
        **overrides,
    }
    # MSAL (requests) must trust the emulator's self-signed token endpoint, as it would trust Entra's CA.
    os.environ["REQUESTS_CA_BUNDLE"] = channel.ca_file
    return env


def process_environment(channel: TeamsChannel, database_url: str, port: int, **overrides: str) -> dict[str, str]:
    """The environment of `python app.py` talking to the emulator on `port`."""
    return bot_environment(channel, database_url, PORT=str(port), **overrides)


async def start_bot(channel: TeamsChannel, database_url: str, **overrides: str) -> RunningBot:
    settings = Settings.from_env(bot_environment(channel, database_url, **overrides), env_file=None)
    clock = SteerableClock()
    runner = web.AppRunner(create_app(settings, clock=clock, card_interval=CARD_INTERVAL, limits=TEST_LIMITS))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return RunningBot(f"http://127.0.0.1:{port}", channel, runner, settings, clock)
