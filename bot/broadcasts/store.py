"""Broadcasts, their outbox and acknowledgements in and out as plain dataclasses, on SQLite and PostgreSQL alike.

Outbox claims follow the timed work's pattern: on PostgreSQL workers of several instances claim batches with
`FOR UPDATE SKIP LOCKED` (each row goes to one of them), on SQLite the single instance's claim is one UPDATE. Every
change of state is one conditional statement, so a recall racing a worker, or two admins racing on an approval,
end one way, decided by the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, insert, literal, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import ColumnElement

from bot.broadcasts.model import (
    OPEN_STATES,
    Audience,
    Broadcast,
    Content,
    Recipient,
    Remind,
    Row,
    RowState,
    Segment,
    Tally,
)
from bot.broadcasts.tables import broadcast_acks, broadcast_recipients, broadcasts
from bot.store.engine import insert_for

_ROW_COLUMNS = tuple(field.name for field in fields(Row))
_BROADCAST_COLUMNS = tuple(field.name for field in fields(Broadcast))
R = broadcast_recipients.c


def _broadcast(row: Any) -> Broadcast:
    values = {name: getattr(row, name) for name in _BROADCAST_COLUMNS}
    values["content"] = Content.from_json(row.content)
    values["audience"] = Audience.from_json(row.audience)
    return Broadcast(**values)


def _columns(broadcast: Broadcast) -> dict[str, Any]:
    values = {name: getattr(broadcast, name) for name in _BROADCAST_COLUMNS}
    values["content"] = broadcast.content.to_json()
    values["audience"] = broadcast.audience.to_json()
    return values


def _row(row: Any) -> Row:
    return Row(**{name: getattr(row, name) for name in _ROW_COLUMNS})


def _value(values: dict[str, Any], name: str) -> ColumnElement[Any]:
    """A column's value after an UPDATE setting `values` (what it sets, else what the row holds). The literal has
    the column's type: PostgreSQL can't tell the type of a bare NULL (an unconfirmed post's activity id)."""
    return literal(values[name], R[name].type) if name in values else R[name]


def _todo(values: dict[str, Any]) -> ColumnElement[bool]:
    """Whether a worker still has something to do for the row once `values` are written: post it, update its
    card to the version it should show, or remind."""
    state = _value(values, "state")
    return or_(
        state == RowState.PENDING.value,
        and_(
            state == RowState.SENT.value, _value(values, "activity_id").is_not(None), R.want > _value(values, "shown")
        ),
        _value(values, "remind") == Remind.DUE.value,
    )


class BroadcastStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)
        self._skip_locked = engine.dialect.name == "postgresql"

    # ---- broadcasts ----------------------------------------------------------------------------------------
    async def add(self, broadcast: Broadcast) -> Broadcast:
        async with self._engine.begin() as conn:
            await conn.execute(insert(broadcasts).values(_columns(broadcast)))
        return broadcast

    async def get(self, broadcast_id: str) -> Broadcast | None:
        async with self._engine.connect() as conn:
            return await self._get(conn, broadcast_id)

    @staticmethod
    async def _get(conn: AsyncConnection, broadcast_id: str) -> Broadcast | None:
        row = (await conn.execute(select(broadcasts).where(broadcasts.c.broadcast_id == broadcast_id))).first()
        return None if row is None else _broadcast(row)

    async def change(self, broadcast_id: str, *conditions: Any, **values: Any) -> Broadcast | None:
        """Update where `conditions` hold (e.g. still in the status the caller saw); None if nothing matched."""
        if isinstance(values.get("content"), Content):
            values["content"] = values["content"].to_json()
        if isinstance(values.get("audience"), Audience):
            values["audience"] = values["audience"].to_json()
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                update(broadcasts).where(broadcasts.c.broadcast_id == broadcast_id, *conditions).values(**values)
            )
            return await self._get(conn, broadcast_id) if changed.rowcount else None

    async def delete(self, broadcast_id: str, *conditions: Any) -> bool:
        async with self._engine.begin() as conn:
            gone = await conn.execute(delete(broadcasts).where(broadcasts.c.broadcast_id == broadcast_id, *conditions))
            if gone.rowcount:
                await conn.execute(delete(broadcast_recipients).where(R.broadcast_id == broadcast_id))
        return bool(gone.rowcount)

    async def recent(self, tenant_id: str | None, statuses: Sequence[str], limit: int) -> list[Broadcast]:
        query = (
            select(broadcasts)
            .where(broadcasts.c.tenant_id == tenant_id, broadcasts.c.status.in_(list(statuses)))
            .order_by(broadcasts.c.updated_at.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_broadcast(row) for row in await conn.execute(query)]

    async def in_status(self, statuses: Sequence[str]) -> list[Broadcast]:
        """Every broadcast in these statuses, of every tenant (start-up re-planning)."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(broadcasts).where(broadcasts.c.status.in_(list(statuses))))
        return [_broadcast(row) for row in rows]

    # ---- the frozen list -------------------------------------------------------------------------------------
    async def freeze(self, broadcast: Broadcast, recipients: Sequence[Recipient], now: datetime) -> None:
        """Replace the broadcast's list of recipients: reachable ones held until sending starts, the others reported
        "not installed" at once."""
        rows = [
            {
                "broadcast_id": broadcast.broadcast_id,
                "recipient_key": recipient.key,
                "kind": recipient.kind,
                "tenant_id": broadcast.tenant_id,
                "aad_id": recipient.aad_id,
                "user_id": recipient.user_id,
                "name": recipient.name[:256],
                "conversation_id": recipient.conversation_id,
                "segment": recipient.segment[:256],
                "team_id": recipient.team_id,
                "size": recipient.size,
                "lang": recipient.lang,
                "state": (RowState.HELD if recipient.reachable else RowState.NOT_INSTALLED).value,
                "reason": None if recipient.reachable else "no chat with the bot and no way to install it",
                "attempts": 0,
                "due_at": now,
                "todo": False,
                "owner": None,
                "activity_id": None,
                "shown": 0,
                "want": 0,
                "remind": Remind.NO.value,
                "installed": False,
                "sent_at": None,
                "updated_at": now,
            }
            for recipient in recipients
        ]
        async with self._engine.begin() as conn:
            await conn.execute(delete(broadcast_recipients).where(R.broadcast_id == broadcast.broadcast_id))
            for start in range(0, len(rows), 2000):  # bounded statements (PostgreSQL's 32767 parameters)
                await conn.execute(insert(broadcast_recipients), rows[start : start + 2000])

    async def release_held(self, broadcast_id: str, now: datetime) -> int:
        """Sending starts: every held recipient becomes work for the outbox workers."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(broadcast_recipients)
                .where(R.broadcast_id == broadcast_id, R.state == RowState.HELD.value)
                .values(state=RowState.PENDING.value, todo=True, due_at=now, updated_at=now)
            )
        return result.rowcount

    async def cancel_unsent(self, broadcast_id: str, now: datetime) -> int:
        """The recall: what has not gone out (and no worker holds) never will."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(broadcast_recipients)
                .where(
                    R.broadcast_id == broadcast_id,
                    R.state.in_([RowState.HELD.value, RowState.PENDING.value]),
                    R.owner.is_(None),
                )
                .values(state=RowState.CANCELLED.value, todo=False, updated_at=now)
            )
        return result.rowcount

    async def want_version(self, broadcast_id: str, version: int, now: datetime) -> int:
        """Every delivered card should show `version` (an edit or the recall): workers update them."""
        async with self._engine.begin() as conn:
            await conn.execute(update(broadcast_recipients).where(R.broadcast_id == broadcast_id).values(want=version))
            result = await conn.execute(
                update(broadcast_recipients)
                .where(R.broadcast_id == broadcast_id, R.state == RowState.SENT.value, R.activity_id.is_not(None))
                .values(todo=True, due_at=now, updated_at=now)
            )
        return result.rowcount

    async def due_reminders(self, broadcast_id: str, now: datetime) -> int:
        """People who got the broadcast and have not acknowledged it get one reminder."""
        acked = exists().where(broadcast_acks.c.broadcast_id == R.broadcast_id, broadcast_acks.c.user_key == R.aad_id)
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(broadcast_recipients)
                .where(
                    R.broadcast_id == broadcast_id,
                    R.kind == "person",
                    R.state == RowState.SENT.value,
                    R.remind == Remind.NO.value,
                    ~acked,
                )
                .values(remind=Remind.DUE.value, todo=True, due_at=now, updated_at=now)
            )
        return result.rowcount

    # ---- the outbox workers ----------------------------------------------------------------------------------
    async def claim(self, owner: str, now: datetime, limit: int) -> list[Row]:
        """Up to `limit` rows that need work, earliest first; rows to post become `sending`."""
        picked = (
            select(R.broadcast_id, R.recipient_key)
            .where(R.todo.is_(True), R.owner.is_(None), R.due_at <= now)
            .order_by(R.due_at)
            .limit(limit)
        )
        if self._skip_locked:
            picked = picked.with_for_update(skip_locked=True)
        statement = (
            update(broadcast_recipients)
            .where(tuple_(R.broadcast_id, R.recipient_key).in_(picked), R.owner.is_(None))
            .values(owner=owner, state=case((R.state == RowState.PENDING.value, RowState.SENDING.value), else_=R.state))
            .returning(*broadcast_recipients.c)
        )
        async with self._engine.begin() as conn:
            rows = (await conn.execute(statement)).all()
        return sorted((_row(row) for row in rows), key=lambda row: row.due_at)

    async def finish(self, row: Row, owner: str, **values: Any) -> None:
        """Record what the worker did (`values`), and let go of the row: it is claimable again if more is to do."""
        values["todo"] = _todo(values)
        async with self._engine.begin() as conn:
            await conn.execute(
                update(broadcast_recipients)
                .where(R.broadcast_id == row.broadcast_id, R.recipient_key == row.recipient_key, R.owner == owner)
                .values(owner=None, **values)
            )

    async def owners(self) -> set[str]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(R.owner).where(R.owner.is_not(None)).distinct())
        return {owner for (owner,) in rows}

    async def release_owner(self, owner: str) -> int:
        """Free the rows of an instance that is gone (or stopping); a post it had claimed is pending again, and
        the delivery ledger tells the next try whether it had left."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(broadcast_recipients)
                .where(R.owner == owner)
                .values(
                    owner=None, state=case((R.state == RowState.SENDING.value, RowState.PENDING.value), else_=R.state)
                )
            )
        return result.rowcount

    async def open_rows(self, broadcast_id: str) -> int:
        """Recipients not yet delivered, failed or cancelled."""
        async with self._engine.connect() as conn:
            query = select(func.count()).where(
                R.broadcast_id == broadcast_id, R.state.in_([state.value for state in OPEN_STATES])
            )
            return int((await conn.execute(query)).scalar_one())

    # ---- reading the outcome ---------------------------------------------------------------------------------
    async def tally(self, broadcast_id: str) -> Tally:
        by_state = select(R.state, func.count(), func.coalesce(func.sum(R.size), 0)).where(
            R.broadcast_id == broadcast_id
        )
        reached = select(R.segment, func.coalesce(func.sum(R.size), 0)).where(
            R.broadcast_id == broadcast_id, R.state == RowState.SENT.value
        )
        acks = select(broadcast_acks.c.segment, func.count()).where(broadcast_acks.c.broadcast_id == broadcast_id)
        sent_rows = and_(R.broadcast_id == broadcast_id, R.state == RowState.SENT.value)
        async with self._engine.connect() as conn:
            states = {state: (count, size) for state, count, size in await conn.execute(by_state.group_by(R.state))}
            segments: dict[str, int] = {name: int(n) for name, n in await conn.execute(reached.group_by(R.segment))}
            grouped = acks.group_by(broadcast_acks.c.segment)
            acked: dict[str, int] = {name: int(n) for name, n in await conn.execute(grouped)}
            unconfirmed = (
                await conn.execute(select(func.count()).where(sent_rows, R.activity_id.is_(None)))
            ).scalar_one()
            installed = (await conn.execute(select(func.count()).where(sent_rows, R.installed.is_(True)))).scalar_one()

        def count(*wanted: RowState) -> int:
            return sum(states.get(state.value, (0, 0))[0] for state in wanted)

        names = sorted(set(segments) | set(acked), key=lambda name: (-segments.get(name, 0), name))
        return Tally(
            total=sum(count for count, _ in states.values()),
            waiting=count(*OPEN_STATES),
            sent=count(RowState.SENT),
            failed=count(RowState.FAILED),
            not_installed=count(RowState.NOT_INSTALLED),
            cancelled=count(RowState.CANCELLED),
            unconfirmed=int(unconfirmed),
            installed=int(installed),
            reached=int(states.get(RowState.SENT.value, (0, 0))[1]),
            acknowledged=sum(acked.values()),
            segments=tuple(Segment(name, int(segments.get(name, 0)), int(acked.get(name, 0))) for name in names),
        )

    async def rows(self, broadcast_id: str, *states: RowState, limit: int | None = None) -> list[Row]:
        """The broadcast's recipients (in these states), by name."""
        query = select(broadcast_recipients).where(R.broadcast_id == broadcast_id)
        if states:
            query = query.where(R.state.in_([state.value for state in states]))
        query = query.order_by(R.segment, R.name, R.recipient_key)
        if limit is not None:
            query = query.limit(limit)
        async with self._engine.connect() as conn:
            return [_row(row) for row in await conn.execute(query)]

    async def row(self, broadcast_id: str, recipient_key: str) -> Row | None:
        async with self._engine.connect() as conn:
            found = (
                await conn.execute(
                    select(broadcast_recipients).where(R.broadcast_id == broadcast_id, R.recipient_key == recipient_key)
                )
            ).first()
        return None if found is None else _row(found)

    # ---- acknowledgements ----------------------------------------------------------------------------------
    async def acknowledge(self, broadcast_id: str, user_key: str, name: str, segment: str, now: datetime) -> datetime:
        """Record 「確認しました」 once per person; the moment of the first click (a second click changes nothing)."""
        async with self._engine.begin() as conn:
            await conn.execute(
                self._insert(broadcast_acks)
                .values(broadcast_id=broadcast_id, user_key=user_key, name=name[:256], segment=segment, acked_at=now)
                .on_conflict_do_nothing()
            )
            return (await self._acked_at(conn, broadcast_id, user_key)) or now

    async def acknowledged_at(self, broadcast_id: str, user_key: str) -> datetime | None:
        async with self._engine.connect() as conn:
            return await self._acked_at(conn, broadcast_id, user_key)

    @staticmethod
    async def _acked_at(conn: AsyncConnection, broadcast_id: str, user_key: str) -> datetime | None:
        query = select(broadcast_acks.c.acked_at).where(
            broadcast_acks.c.broadcast_id == broadcast_id, broadcast_acks.c.user_key == user_key
        )
        found: datetime | None = (await conn.execute(query)).scalar_one_or_none()
        return found

    async def acknowledgements(self, broadcast_id: str) -> dict[str, datetime]:
        """Who acknowledged, when (user key → time)."""
        query = select(broadcast_acks.c.user_key, broadcast_acks.c.acked_at).where(
            broadcast_acks.c.broadcast_id == broadcast_id
        )
        async with self._engine.connect() as conn:
            return {user_key: acked_at for user_key, acked_at in await conn.execute(query)}
