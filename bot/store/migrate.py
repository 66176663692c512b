"""Bring the database schema to the latest Alembic revision; idempotent, so the bot runs it at every start.

`python -m bot.store.migrate` migrates the database in `DATABASE_URL`. No alembic.ini: the configuration is built in
code so it works from any working directory. A new revision is written by hand in migrations/versions (or with
`alembic.command.revision(alembic_config(), "what changed")`) and must keep matching `bot.store.tables`.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from bot.settings import Settings
from bot.store.engine import create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant works; it only has to be the same for every bot process sharing the database.
_PG_MIGRATION_LOCK = 0x0B07_0001


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str | None:
    """The newest revision of the migrations shipped with this code (read once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Two replicas starting together must not both create the tables; the lock ends with the transaction.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    if MigrationContext.configure(connection).get_current_revision() == head_revision():
        return  # already migrated (every start after the first): nothing to load or run
    command.upgrade(alembic_config(connection), "head")


async def migrate(database_url: str) -> None:
    """Upgrade `database_url` to head in one transaction (PostgreSQL DDL is transactional)."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade)
    finally:
        await engine.dispose()


def main() -> None:
    database_url = Settings.from_env().database_url
    asyncio.run(migrate(database_url))
    print(f"database migrated to head: {make_url(database_url).render_as_string(hide_password=True)}")


if __name__ == "__main__":
    main()
