"""One `AsyncEngine` factory for both backends, so everything above it is dialect-agnostic.

SQLite (the zero-setup default) is tuned for a single bot process with concurrent turns: WAL lets readers run beside
the one writer, and busy_timeout makes writers queue instead of failing with "database is locked".
"""

from __future__ import annotations

import json
import sqlite3
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
)


def _json_dumps(value: Any) -> str:
    # Keep Japanese readable when someone inspects the database by hand.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


class _ClosingCursor(aiosqlite.Cursor):
    """A driver cursor that is closed where its statement failed, in the connection's own thread.

    SQLAlchemy's aiosqlite adapter leaves the cursor of a failed statement (e.g. "database is locked") in a
    reference cycle with the exception. The garbage collector then finalizes it on whatever thread it runs, usually
    the event loop's, and the finalizer waits for the connection's mutex with the GIL held: while that connection
    waits out another writer's lock, the whole process froze for the busy timeout (seen: 4.5 s, every request).
    """

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> aiosqlite.Cursor:
        try:
            return await super().execute(sql, parameters)
        except Exception:
            await self.close()
            raise

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> aiosqlite.Cursor:
        try:
            return await super().executemany(sql, parameters)
        except Exception:
            await self.close()
            raise


class _ClosingConnection(aiosqlite.Connection):
    async def cursor(self) -> _ClosingCursor:  # type: ignore[override]
        return _ClosingCursor(self, await self._execute(self._conn.cursor))


def _connect(database: str, *, iter_chunk_size: int = 64, **kwargs: Any) -> aiosqlite.Connection:
    """`aiosqlite.connect`, with cursors that close on failure."""
    return _ClosingConnection(lambda: sqlite3.connect(database, **kwargs), iter_chunk_size)


def _aiosqlite_driver() -> AsyncAdapt_aiosqlite_dbapi:
    module = types.ModuleType("aiosqlite_closing")
    module.__dict__.update(vars(aiosqlite))
    module.connect = _connect  # type: ignore[attr-defined]
    return AsyncAdapt_aiosqlite_dbapi(module, sqlite3)


def create_engine(database_url: str) -> AsyncEngine:
    """Build the engine for `sqlite+aiosqlite://` or `postgresql+asyncpg://`; anything else is a configuration error."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLite has one writer at a time. One connection makes turns queue for it in the bot, in order, instead
        # of several connections fighting over the file lock in SQLite's sleep-and-retry busy handler (which
        # turned the p99 latency under load into seconds). Batched writes (group commit) keep the queue short.
        engine = create_async_engine(
            url,
            module=_aiosqlite_driver(),
            json_serializer=_json_dumps,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
        )
        event.listen(engine.sync_engine, "connect", _apply_sqlite_pragmas)
        return engine
    if backend == "postgresql":
        return create_async_engine(
            url,
            json_serializer=_json_dumps,
            pool_size=10,
            max_overflow=5,
            pool_pre_ping=True,  # survive server restarts and idle-connection reaping by proxies
            pool_recycle=1800,
        )
    raise ValueError(f"unsupported DATABASE_URL backend {backend!r}: use sqlite+aiosqlite:// or postgresql+asyncpg://")


def insert_for(engine: AsyncEngine) -> Callable[..., Any]:
    """The dialect's `insert`, which has the ON CONFLICT clauses both SQLite and PostgreSQL support."""
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
