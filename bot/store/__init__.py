"""The bot's persistence: one `Store` with a repository per concern, on SQLite (default) or PostgreSQL.

Repositories take and return plain dataclasses and import no botbuilder. Features keep their own repositories
beside their domain code, on the same engine. `Store.open` does not migrate: run `bot.store.migrate.migrate`
(`python app.py migrate`) first.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.activities import ProcessedActivities
from bot.store.conversations import ConversationRecord, ConversationStore
from bot.store.engine import create_engine
from bot.store.ledger import DeliveryLedger
from bot.store.preferences import Preferences, UserPreferences

__all__ = ["ConversationRecord", "ConversationStore", "Preferences", "ProcessedActivities", "Store", "UserPreferences"]


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.conversations = ConversationStore(engine)
        self.activities = ProcessedActivities(engine)
        self.preferences = Preferences(engine)
        self.ledger = DeliveryLedger(engine)

    @classmethod
    def open(cls, database_url: str) -> Store:
        return cls(create_engine(database_url))

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
