"""This process as one bot instance: its id, its heartbeat, and whether another instance is still alive.

Two questions need a precise answer after a crash: may a retried activity whose turn was claimed by instance X be
processed again, and may timed work leased to X be run by someone else? Both hinge on "is X alive?".
- SQLite holds one instance: an exclusive lock on a file beside the database (released by the kernel when the
  process dies, kill -9 included). A second instance is refused with a clear message; any other owner is dead.
- PostgreSQL holds many: each instance keeps a session advisory lock on its own id for its lifetime. The server
  drops it the moment the instance's connection dies, so a peer tells a dead instance from a live one at once.
The heartbeat row doubles as the write probe for /healthz.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import socket
import uuid
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import delete, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store.tables import bot_instances

log = logging.getLogger(__name__)

_LOCK_CLASS = 0x0B07  # advisory lock namespace of instance ids (the migration lock uses a bigint of its own)


class InstanceConflict(RuntimeError):
    """Another bot instance already uses this SQLite database; the message says what to do."""


def _lock_key(instance_id: str) -> int:
    return int.from_bytes(hashlib.sha256(instance_id.encode()).digest()[:4], "big") & 0x7FFF_FFFF


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL (None for in-memory databases and other backends)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:"):
        return None
    return Path(url.database)


class Instance:
    def __init__(self, engine: AsyncEngine, database_url: str) -> None:
        self.id = uuid.uuid4().hex
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._file_path = sqlite_path(database_url)
        self._file: IO[str] | None = None
        self._lock_connection: AsyncConnection | None = None
        self.last_write: datetime | None = None  # the last heartbeat the database took
        self.write_error: str | None = None

    # ---- life ------------------------------------------------------------------------------------------------
    async def start(self, now: datetime) -> None:
        if self._sqlite:
            self._lock_file()
        else:
            await self._lock_advisory()
        async with self._engine.begin() as conn:
            await conn.execute(
                bot_instances.insert().values(
                    instance_id=self.id,
                    host=socket.gethostname()[:256],
                    pid=os.getpid(),
                    started_at=now,
                    heartbeat_at=now,
                )
            )
        self.last_write = now

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            async with self._engine.begin() as conn:
                await conn.execute(delete(bot_instances).where(bot_instances.c.instance_id == self.id))
        if self._lock_connection is not None:
            with contextlib.suppress(Exception):  # the pooled connection must not keep the lock after we go
                await self._lock_connection.execute(text("SELECT pg_advisory_unlock_all()"))
                await self._lock_connection.commit()
            with contextlib.suppress(Exception):
                await self._lock_connection.close()
            self._lock_connection = None
        if self._file is not None:
            self._file.close()  # closing the descriptor releases the lock
            self._file = None

    def _lock_file(self) -> None:
        if self._file_path is None:
            return
        path = self._file_path.with_name(self._file_path.name + ".instance.lock")
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise InstanceConflict(
                f"Another bot instance ({holder}) is already running on the SQLite database {self._file_path}. "
                "SQLite serves one instance; to run several, use PostgreSQL "
                "(DATABASE_URL=postgresql+asyncpg://…)."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        self._file = handle

    async def _lock_advisory(self) -> None:
        connection = await self._engine.connect()
        await connection.execute(text("SELECT pg_advisory_lock(:c, :o)"), {"c": _LOCK_CLASS, "o": _lock_key(self.id)})
        await connection.commit()
        self._lock_connection = connection

    # ---- heartbeat -------------------------------------------------------------------------------------------
    async def heartbeat(self, now: datetime) -> bool:
        """Write this instance's heartbeat; False (and the reason kept for /healthz) when the database refuses."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(bot_instances).where(bot_instances.c.instance_id == self.id).values(heartbeat_at=now)
                )
            if self._lock_connection is not None:
                await self._keep_advisory_lock()
        except Exception as error:
            self.write_error = f"{type(error).__name__}: {error}"[:300]
            log.warning("instance heartbeat not written: %s", self.write_error)
            return False
        self.last_write, self.write_error = now, None
        return True

    async def _keep_advisory_lock(self) -> None:
        """A lost lock connection (server restart) loses the lock: take it again, or peers think we died."""
        assert self._lock_connection is not None
        try:
            await self._lock_connection.execute(text("SELECT 1"))
            await self._lock_connection.commit()
        except Exception:
            log.warning("instance lock connection lost; taking the lock again")
            with contextlib.suppress(Exception):
                await self._lock_connection.invalidate()
            self._lock_connection = None
            await self._lock_advisory()

    async def forget_stale(self, before: datetime) -> None:
        """Drop rows of instances that stopped writing long ago (kept for a day for operators to read)."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(bot_instances).where(bot_instances.c.heartbeat_at < before))

    # ---- others ----------------------------------------------------------------------------------------------
    async def alive(self, instance_id: str) -> bool:
        """Whether the instance that owns a claim or lease can still finish it."""
        if instance_id == self.id:
            return True
        if self._sqlite:
            return False  # the file lock lets one instance run: any other owner is gone
        async with self._engine.connect() as conn:
            params: dict[str, Any] = {"c": _LOCK_CLASS, "o": _lock_key(instance_id)}
            free = (await conn.execute(text("SELECT pg_try_advisory_lock(:c, :o)"), params)).scalar_one()
            if free:
                await conn.execute(text("SELECT pg_advisory_unlock(:c, :o)"), params)
            await conn.commit()
        return not free
