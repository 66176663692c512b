"""The bot's persistence: one `Store` with a repository per concern, on SQLite (default) or PostgreSQL.

Repositories take and return plain dataclasses; only `bot.store.bot_state` imports botbuilder, and it is imported
lazily so the rest of the store stays usable without it. `Store.open` does not migrate: run
`bot.store.migrate.migrate` (or `python -m bot.store.migrate`) first.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.activities import ProcessedActivities
from bot.store.conversations import ConversationRecord, ConversationStore
from bot.store.engine import create_engine
from bot.store.preferences import Preferences, UserPreferences

if TYPE_CHECKING:
    from bot.store.bot_state import SqlStorage

__all__ = ["ConversationRecord", "ConversationStore", "Preferences", "ProcessedActivities", "Store", "UserPreferences"]


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.conversations = ConversationStore(engine)
        self.activities = ProcessedActivities(engine)
        self.preferences = Preferences(engine)

    @classmethod
    def open(cls, database_url: str) -> Store:
        return cls(create_engine(database_url))

    @cached_property
    def bot_state(self) -> SqlStorage:
        from bot.store.bot_state import SqlStorage

        return SqlStorage(self.engine)

    async def ping(self) -> bool:
        """True if the database answers; for /healthz, so failures are reported, not raised."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return False
        return True

    async def close(self) -> None:
        await self.engine.dispose()
