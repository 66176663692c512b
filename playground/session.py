"""One Playground session: a prepared database, the bot on loopback and the Playground in front of it.

`make playground` and the browser tests both start exactly this, so what the tests see is what a person sees.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.store import Store
from bot.store.migrate import migrate
from playground.organisation import EVERYONE, TENANT_ID, playground_config
from playground.processes import ServerProcess, install_playground, start_bot, start_playground


@dataclass(frozen=True)
class PlaygroundSession:
    url: str  # the Playground, to open in a browser
    bot_url: str
    bot: ServerProcess
    playground: ServerProcess
    workdir: Path


async def _prepare_database(database_url: str) -> None:
    """Migrate, and record 日本語 as the language of everyone who has not chosen one.

    The Playground sends `locale: en-US` on every activity, so without a choice the bot (rightly) answers in
    English; staff of a Japanese organisation have Japanese Teams clients. Saying 「言語 英語」 still switches."""
    await migrate(database_url)
    store = Store.open(database_url)
    try:
        for person in EVERYONE:
            chosen = await store.preferences.get(person.aad_object_id)
            if chosen is None or chosen.locale is None:
                await store.preferences.set_locale(person.aad_object_id, TENANT_ID, "ja")
    finally:
        await store.close()


@contextmanager
def playground_session(
    database_url: str, workdir: Path, *, port: int = 0, bot_log: Path | None = None
) -> Iterator[PlaygroundSession]:
    """Install the Playground if needed, start both servers, and stop both on the way out (also on errors)."""
    install_playground()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / ".m365agentsplayground.yml").write_text(playground_config(), encoding="utf-8")
    # In a thread of its own: the caller may already run an event loop (Playwright's sync API does).
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _prepare_database(database_url)).result()
    bot, bot_url = start_bot(database_url, bot_log)
    try:
        playground, url = start_playground(bot_url, workdir, port)
        try:
            yield PlaygroundSession(url, bot_url, bot, playground, workdir)
        finally:
            playground.stop()
    finally:
        bot.stop()
