"""The bot under test, in-process: the real app factory on a real loopback port, pointed at the emulator."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.application import SERVICES, create_app
from bot.services import Services
from bot.settings import Settings
from tests.teams_channel.channel import TeamsChannel


@dataclass
class RunningBot:
    """A started bot: its URL, its services (to inspect the store) and the emulator it talks to."""

    url: str
    channel: TeamsChannel
    runner: web.AppRunner
    settings: Settings

    @property
    def messages_url(self) -> str:
        return f"{self.url}/api/messages"

    @property
    def services(self) -> Services:
        return self.runner.app[SERVICES]

    async def post(self, activity: Mapping[str, Any], *, token: str | None = "auto") -> tuple[int, Any]:
        return await self.channel.post_activity(self.messages_url, activity, token=token)

    async def stop(self) -> None:
        await self.runner.cleanup()


def bot_environment(channel: TeamsChannel, database_url: str, **overrides: str) -> dict[str, str]:
    env = {**channel.env(), "DATABASE_URL": database_url, "HOST": "127.0.0.1", "PORT": "0", **overrides}
    # MSAL (requests) must trust the emulator's self-signed token endpoint, as it would trust Entra's CA.
    os.environ["REQUESTS_CA_BUNDLE"] = channel.ca_file
    return env


async def start_bot(channel: TeamsChannel, database_url: str, **overrides: str) -> RunningBot:
    settings = Settings.from_env(bot_environment(channel, database_url, **overrides), env_file=None)
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return RunningBot(f"http://127.0.0.1:{port}", channel, runner, settings)
