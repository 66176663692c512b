"""Timed work rows: what is due when, who is running it, and what became of the last try.

One row per (name, item): a feature plans `("polls.close", poll_id)` at the deadline, and planning it again moves
it. A run is leased to one instance; on PostgreSQL several instances claim with `FOR UPDATE SKIP LOCKED`, on
SQLite the single instance's claim is one UPDATE. Every statement is async, so a locked database stalls the work
that needs it, never the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.engine import insert_for
from bot.store.tables import timed_work

_ERROR_LIMIT = 2000


@dataclass(frozen=True)
class DueItem:
    """One run of timed work, as its handler sees it."""

    name: str
    item: str
    occurrence: datetime  # the moment this run stands for (a retry keeps it): key sends by it
    payload: dict[str, Any]
    attempts: int  # failed tries so far
    version: int

    @property
    def key(self) -> str:
        """What identifies this run across retries, restarts and instances."""
        return f"{self.name}:{self.item}:{self.occurrence.isoformat()}"


@dataclass(frozen=True)
class Planned:
    """A row as it stands (for health, lists and tests)."""

    name: str
    item: str
    occurrence: datetime
    due_at: datetime
    payload: dict[str, Any]
    attempts: int
    last_error: str | None
    lease_owner: str | None


def _due(row: Any) -> DueItem:
    return DueItem(row.name, row.item, row.occurrence, dict(row.payload or {}), row.attempts, row.version)


def _planned(row: Any) -> Planned:
    return Planned(
        row.name,
        row.item,
        row.occurrence,
        row.due_at,
        dict(row.payload or {}),
        row.attempts,
        row.last_error,
        row.lease_owner,
    )


class TimedWorkStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)
        self._skip_locked = engine.dialect.name == "postgresql"

    # ---- planning (features) -----------------------------------------------------------------------------------
    async def plan(self, name: str, item: str, at: datetime, payload: dict[str, Any], now: datetime) -> None:
        """Due at `at` (a new occurrence); replaces any earlier plan of the same item, even one being run."""
        values = {
            "name": name,
            "item": item,
            "occurrence": at,
            "due_at": at,
            "payload": payload,
            "version": 1,
            "attempts": 0,
            "last_error": None,
            "created_at": now,
            "updated_at": now,
        }
        statement = self._insert(timed_work).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["name", "item"],
            set_={
                "occurrence": at,
                "due_at": at,
                "payload": payload,
                "version": timed_work.c.version + 1,
                "attempts": 0,
                "last_error": None,
                "updated_at": now,
            },
        )
        async with self._engine.begin() as conn:
            await conn.execute(statement)

    async def ensure(self, name: str, item: str, at: datetime, payload: dict[str, Any], now: datetime) -> bool:
        """Plan `item` at `at` unless it is planned already (start-up re-planning); True if it was missing."""
        values = {
            "name": name,
            "item": item,
            "occurrence": at,
            "due_at": at,
            "payload": payload,
            "version": 1,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        statement = self._insert(timed_work).values(values).on_conflict_do_nothing().returning(timed_work.c.name)
        async with self._engine.begin() as conn:
            return (await conn.execute(statement)).first() is not None

    async def cancel(self, name: str, item: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(timed_work).where(timed_work.c.name == name, timed_work.c.item == item))
        return bool(result.rowcount)

    async def get(self, name: str, item: str) -> Planned | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(timed_work).where(timed_work.c.name == name, timed_work.c.item == item))
            ).first()
        return None if row is None else _planned(row)

    async def items(self, name: str) -> list[Planned]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(timed_work).where(timed_work.c.name == name).order_by(timed_work.c.due_at))
        return [_planned(row) for row in rows]

    # ---- running (the runner) ----------------------------------------------------------------------------------
    async def claim(self, names: list[str], owner: str, now: datetime, lease: timedelta, limit: int) -> list[DueItem]:
        """Lease up to `limit` due items of the given names to `owner`, earliest first."""
        if limit <= 0 or not names:
            return []
        free = or_(timed_work.c.lease_until.is_(None), timed_work.c.lease_until < now)
        due = (
            select(timed_work.c.name, timed_work.c.item)
            .where(timed_work.c.name.in_(names), timed_work.c.due_at <= now, free)
            .order_by(timed_work.c.due_at)
            .limit(limit)
        )
        if self._skip_locked:
            due = due.with_for_update(skip_locked=True)
        statement = (
            update(timed_work)
            .where(tuple_(timed_work.c.name, timed_work.c.item).in_(due))
            .values(lease_owner=owner, lease_until=now + lease, updated_at=now)
            .returning(*timed_work.c)
        )
        async with self._engine.begin() as conn:
            rows = (await conn.execute(statement)).all()
        return sorted((_due(row) for row in rows), key=lambda item: item.occurrence)

    async def renew(self, owner: str, keys: list[tuple[str, str]], until: datetime) -> None:
        """Keep the leases of items still running (long fan-outs) from expiring."""
        if not keys:
            return
        async with self._engine.begin() as conn:
            await conn.execute(
                update(timed_work)
                .where(tuple_(timed_work.c.name, timed_work.c.item).in_(keys), timed_work.c.lease_owner == owner)
                .values(lease_until=until)
            )

    async def finish(self, item: DueItem, owner: str, following: datetime | None, now: datetime) -> None:
        """The run is done: plan its next occurrence, or drop the row. A newer plan made meanwhile stays."""
        mine = and_(
            timed_work.c.name == item.name,
            timed_work.c.item == item.item,
            timed_work.c.version == item.version,
            timed_work.c.lease_owner == owner,
        )
        async with self._engine.begin() as conn:
            if following is None:
                done = await conn.execute(delete(timed_work).where(mine))
            else:
                done = await conn.execute(
                    update(timed_work)
                    .where(mine)
                    .values(
                        occurrence=following,
                        due_at=following,
                        attempts=0,
                        last_error=None,
                        lease_owner=None,
                        lease_until=None,
                        updated_at=now,
                    )
                )
            if not done.rowcount:  # re-planned while running: leave the new plan, let go of the lease
                await self._release(conn, item, owner)

    async def retry(self, item: DueItem, owner: str, at: datetime, error: str, now: datetime) -> None:
        """The run failed: try again at `at`, same occurrence."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(timed_work)
                .where(
                    timed_work.c.name == item.name,
                    timed_work.c.item == item.item,
                    timed_work.c.version == item.version,
                    timed_work.c.lease_owner == owner,
                )
                .values(
                    due_at=at,
                    attempts=item.attempts + 1,
                    last_error=error[:_ERROR_LIMIT],
                    lease_owner=None,
                    lease_until=None,
                    updated_at=now,
                )
            )
            await self._release(conn, item, owner)

    async def release(self, item: DueItem, owner: str) -> None:
        """Give a run back untouched (shutdown): it is due again at once, on this instance or another."""
        async with self._engine.begin() as conn:
            await self._release(conn, item, owner)

    @staticmethod
    async def _release(conn: Any, item: DueItem, owner: str) -> None:
        await conn.execute(
            update(timed_work)
            .where(timed_work.c.name == item.name, timed_work.c.item == item.item, timed_work.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )

    async def release_owner(self, owner: str) -> int:
        """Free every lease of an instance that is gone (killed): its runs are due again now."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(timed_work).where(timed_work.c.lease_owner == owner).values(lease_owner=None, lease_until=None)
            )
        return result.rowcount

    async def lease_owners(self) -> set[str]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(timed_work.c.lease_owner).where(timed_work.c.lease_owner.is_not(None)).distinct()
            )
        return {owner for (owner,) in rows}

    async def next_due(self, names: list[str]) -> datetime | None:
        """The earliest due time of any item a handler exists for (leased ones included: their lease may lapse)."""
        async with self._engine.connect() as conn:
            return (
                await conn.execute(select(func.min(timed_work.c.due_at)).where(timed_work.c.name.in_(names)))
            ).scalar_one()

    async def summary(self, names: list[str], now: datetime) -> dict[str, Any]:
        """For /healthz: how much is planned, the oldest item waiting past its time, retries, unknown work."""
        overdue = and_(timed_work.c.due_at <= now, timed_work.c.lease_owner.is_(None))
        async with self._engine.connect() as conn:
            planned = (await conn.execute(select(func.count()).select_from(timed_work))).scalar_one()
            oldest = (
                await conn.execute(select(func.min(timed_work.c.due_at)).where(overdue, timed_work.c.name.in_(names)))
            ).scalar_one()
            retrying = (
                await conn.execute(select(func.count()).select_from(timed_work).where(timed_work.c.attempts > 0))
            ).scalar_one()
            unhandled = (
                await conn.execute(select(func.count()).select_from(timed_work).where(timed_work.c.name.not_in(names)))
            ).scalar_one()
        return {"planned": planned, "oldest_overdue": oldest, "retrying": retrying, "unhandled": unhandled}
