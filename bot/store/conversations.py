"""Where the bot may talk: one row per Teams conversation, with the reference needed for proactive messages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, case, false, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.engine import insert_for
from bot.store.tables import conversations, utcnow

ACTIVE, REMOVED, BLOCKED = "active", "removed", "blocked"
# The Bot Connector answers 403 when the user blocked the bot and 404 when the conversation is gone.
BLOCKING_CODES = frozenset({403, 404})

# Refreshed from every inbound activity: how to reach the conversation, never whether the bot is installed.
_REFERENCE_FIELDS = ("service_url", "bot_id", "bot_name", "reference")
# Refreshed only when the activity carries a value; a missing locale must not erase the known one.
_OPTIONAL_FIELDS = ("tenant_id", "team_id", "user_id", "user_aad_id", "locale")


@dataclass
class ConversationRecord:
    conversation_id: str
    conversation_type: str  # personal | groupChat | channel
    service_url: str
    bot_id: str
    reference: dict[str, Any] = field(default_factory=dict)
    tenant_id: str | None = None
    team_id: str | None = None
    channel_id: str = "msteams"
    bot_name: str | None = None
    user_id: str | None = None
    user_aad_id: str | None = None
    locale: str | None = None
    installed: bool = True
    status: str = ACTIVE
    failure_code: int | None = None
    failure_reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class PersonalChat:
    """Someone the bot can message 1:1: the app is installed for them and the chat is not blocked."""

    aad_id: str
    user_id: str | None  # their 29: id
    conversation_id: str
    locale: str | None


@dataclass(frozen=True)
class TeamPlace:
    """A team the bot is installed in, and how to reach Teams for it."""

    team_id: str  # 19:…@thread.tacv2 (also the id of its General channel)
    service_url: str
    bot_id: str


def _record(row: Row[Any]) -> ConversationRecord:
    return ConversationRecord(**row._asdict())


class ConversationStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)
        self._upsert = self._touch_statement()

    @staticmethod
    def _refresh(record: ConversationRecord, now: datetime) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(record, name) for name in _REFERENCE_FIELDS}
        values.update({name: getattr(record, name) for name in _OPTIONAL_FIELDS if getattr(record, name) is not None})
        values["updated_at"] = now
        return values

    @staticmethod
    def _row(record: ConversationRecord, now: datetime) -> dict[str, Any]:
        return {
            "conversation_id": record.conversation_id,
            "conversation_type": record.conversation_type,
            "channel_id": record.channel_id,
            **{name: getattr(record, name) for name in _REFERENCE_FIELDS + _OPTIONAL_FIELDS},
            "installed": True,
            "status": ACTIVE,
            "failure_code": None,
            "failure_reason": None,
            "created_at": now,
            "updated_at": now,
        }

    def _new_row(self, record: ConversationRecord, now: datetime) -> Any:
        return self._insert(conversations).values(self._row(record, now))

    def _touch_statement(self) -> Any:
        """The upsert behind `touch_many`, built once: one statement, many parameter sets per transaction."""
        statement = self._insert(conversations)
        refresh = {name: statement.excluded[name] for name in _REFERENCE_FIELDS}
        refresh |= {name: func.coalesce(statement.excluded[name], conversations.c[name]) for name in _OPTIONAL_FIELDS}
        unblock = and_(conversations.c.installed == true(), conversations.c.status == BLOCKED)
        refresh["status"] = case((unblock, ACTIVE), else_=conversations.c.status)
        refresh["updated_at"] = statement.excluded.updated_at
        return statement.on_conflict_do_update(index_elements=["conversation_id"], set_=refresh)

    async def install(self, record: ConversationRecord) -> bool:
        """Store the reference and mark the conversation installed; True only if it was not installed before.

        Callers greet on True, so two concurrent install events must yield exactly one True: the insert and the
        `installed = false` update each succeed for one writer only, decided by the database, not by a prior read.
        """
        now = utcnow()
        reinstall = {**self._refresh(record, now), "installed": True, "status": ACTIVE}
        reinstall |= {"failure_code": None, "failure_reason": None}
        by_id = conversations.c.conversation_id == record.conversation_id
        async with self._engine.begin() as conn:
            inserted = await conn.execute(self._new_row(record, now).on_conflict_do_nothing())
            if inserted.rowcount == 1:
                return True
            flipped = await conn.execute(
                update(conversations).where(by_id, conversations.c.installed == false()).values(reinstall)
            )
            if flipped.rowcount == 1:
                return True
            await conn.execute(update(conversations).where(by_id).values(reinstall))
            return False

    async def touch_many(self, records: list[ConversationRecord]) -> None:
        """`touch` for many conversations in one transaction (group commit of concurrent turns)."""
        if not records:
            return
        now = utcnow()
        latest = {record.conversation_id: record for record in records}  # one row may appear once per statement
        async with self._engine.begin() as conn:
            await conn.execute(self._upsert, [self._row(record, now) for record in latest.values()])

    async def get(self, conversation_id: str) -> ConversationRecord | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(conversations).where(conversations.c.conversation_id == conversation_id))
            ).first()
        return None if row is None else _record(row)

    async def remove(self, conversation_id: str) -> bool:
        """Mark the bot uninstalled; the row stays so a later reinstall is recognised. True if anything changed."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(conversations)
                .where(
                    conversations.c.conversation_id == conversation_id,
                    or_(conversations.c.installed == true(), conversations.c.status != REMOVED),
                )
                .values(installed=False, status=REMOVED, updated_at=utcnow())
            )
        return result.rowcount == 1

    async def mark_failed(self, conversation_id: str, code: int, reason: str) -> None:
        """Record a failed proactive send; 403/404 block the conversation so broadcasts stop retrying it."""
        values: dict[str, Any] = {"failure_code": code, "failure_reason": reason, "updated_at": utcnow()}
        if code in BLOCKING_CODES:
            values["status"] = BLOCKED
        async with self._engine.begin() as conn:
            await conn.execute(
                update(conversations).where(conversations.c.conversation_id == conversation_id).values(values)
            )

    async def personal_chats(self, aad_ids: Iterable[str], tenant_id: str | None) -> dict[str, str]:
        """Entra id → the bot's installed, reachable 1:1 chat with that person in that tenant (only people who have
        the app: Teams refuses a bot-started chat with anyone else)."""
        wanted = list(set(aad_ids))
        if not wanted:
            return {}
        query = select(conversations.c.user_aad_id, conversations.c.conversation_id).where(
            conversations.c.conversation_type == "personal",
            conversations.c.installed == true(),
            conversations.c.status == ACTIVE,
            conversations.c.user_aad_id.in_(wanted),
            conversations.c.tenant_id == tenant_id,
        )
        async with self._engine.connect() as conn:
            rows = await conn.execute(query)
        return {aad_id: conversation_id for aad_id, conversation_id in rows}

    async def people(self, tenant_id: str | None, aad_ids: Iterable[str] | None = None) -> list[PersonalChat]:
        """Everyone in the tenant the bot can message 1:1 (or those of `aad_ids`), each once."""
        query = select(
            conversations.c.user_aad_id,
            conversations.c.user_id,
            conversations.c.conversation_id,
            conversations.c.locale,
        ).where(
            conversations.c.conversation_type == "personal",
            conversations.c.installed == true(),
            conversations.c.status == ACTIVE,
            conversations.c.user_aad_id.is_not(None),
            conversations.c.tenant_id == tenant_id,
        )
        if aad_ids is not None:
            wanted = list(set(aad_ids))
            if not wanted:
                return []
            query = query.where(conversations.c.user_aad_id.in_(wanted))
        async with self._engine.connect() as conn:
            rows = await conn.execute(query.order_by(conversations.c.updated_at.desc()))
        found: dict[str, PersonalChat] = {}
        for row in rows:  # newest chat first, should someone have two
            found.setdefault(
                row.user_aad_id, PersonalChat(row.user_aad_id, row.user_id, row.conversation_id, row.locale)
            )
        return list(found.values())

    async def teams(self, tenant_id: str | None) -> list[TeamPlace]:
        """The teams of the tenant the bot is installed in (from their channels' conversations)."""
        query = select(conversations.c.team_id, conversations.c.service_url, conversations.c.bot_id).where(
            conversations.c.conversation_type == "channel",
            conversations.c.installed == true(),
            conversations.c.status == ACTIVE,
            conversations.c.team_id.is_not(None),
            conversations.c.tenant_id == tenant_id,
        )
        async with self._engine.connect() as conn:
            rows = await conn.execute(query.order_by(conversations.c.created_at))
        found: dict[str, TeamPlace] = {}
        for row in rows:
            found.setdefault(row.team_id, TeamPlace(row.team_id, row.service_url, row.bot_id))
        return list(found.values())
