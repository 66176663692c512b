"""The schema as SQLAlchemy Core tables: the single description the repositories and the migration check share.

Timestamps are always timezone-aware UTC in Python. SQLite has no timestamp type, so `UTCDateTime` stores naive UTC
there (text that sorts chronologically) and re-attaches UTC on the way out; PostgreSQL gets `timestamptz`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Double,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

# Teams conversation ids (`a:1…`, `19:…@thread.tacv2;messageid=…`) run to a few hundred characters; leave headroom.
CONVERSATION_ID = String(1024)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend; naive input is refused because its zone would be a guess."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


conversations = Table(
    "conversations",
    metadata,
    Column("conversation_id", CONVERSATION_ID, nullable=False),
    Column("conversation_type", String(32), nullable=False),  # personal | groupChat | channel
    Column("tenant_id", String(128)),
    Column("team_id", String(512)),
    Column("channel_id", String(64), nullable=False),  # the Bot Framework channel: msteams
    Column("service_url", String(512), nullable=False),
    Column("bot_id", String(256), nullable=False),
    Column("bot_name", String(256)),
    Column("user_id", String(512)),  # personal chats: the user's 29: id
    Column("user_aad_id", String(128)),
    Column("locale", String(32)),
    Column("installed", Boolean, nullable=False),
    Column("status", String(16), nullable=False),  # active | removed | blocked
    Column("failure_code", Integer),
    Column("failure_reason", Text),
    Column("reference", JSON, nullable=False),  # serialized ConversationReference for proactive messages
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("conversation_id"),
    Index(None, "tenant_id", "installed"),
    Index(None, "user_aad_id"),
)

processed_activities = Table(
    "processed_activities",
    metadata,
    Column("conversation_id", CONVERSATION_ID, nullable=False),
    Column("activity_id", String(512), nullable=False),
    Column("processed_at", UTCDateTime, nullable=False),
    # running: a turn holds the claim (its instance is `owner`); done: the turn finished, a retry is a duplicate.
    Column("state", String(8), nullable=False),
    Column("owner", String(64), nullable=False),
    PrimaryKeyConstraint("conversation_id", "activity_id"),
    Index(None, "processed_at"),
)

user_preferences = Table(
    "user_preferences",
    metadata,
    # The AAD object id, or the channel user id (29:…) where Teams sends no AAD id.
    Column("user_aad_id", String(512), nullable=False),
    Column("tenant_id", String(128)),
    Column("locale", String(32)),
    Column("prefs", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("user_aad_id"),
)

timed_work = Table(
    "timed_work",
    metadata,
    Column("name", String(64), nullable=False),  # the work's stable name, e.g. nudges.post (never a code path)
    Column("item", String(1024), nullable=False),  # what it is about, e.g. a nudge id or a conversation id
    Column("occurrence", UTCDateTime, nullable=False),  # the moment this run stands for; kept across retries
    Column("due_at", UTCDateTime, nullable=False),  # when to run (or retry) it
    Column("payload", JSON, nullable=False),
    Column("version", Integer, nullable=False),  # bumped by every plan: a run of an older plan can't undo a newer one
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("lease_owner", String(64)),  # the instance running it now
    Column("lease_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("name", "item"),
    Index(None, "due_at"),
)

delivery_ledger = Table(
    "delivery_ledger",
    metadata,
    # SHA-256 of the delivery's key: (work, item, occurrence[, recipient]). A key present means "already sent".
    Column("key", String(64), nullable=False),
    Column("state", String(8), nullable=False),  # sending (written before the request) | sent
    Column("activity_id", String(512)),
    Column("sent_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("key"),
    Index(None, "sent_at"),
)

bot_instances = Table(
    "bot_instances",
    metadata,
    Column("instance_id", String(64), nullable=False),
    Column("host", String(256), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),  # written every few seconds: the database still takes writes
    PrimaryKeyConstraint("instance_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("entry_id", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("feature", String(32), nullable=False),
    Column("action", String(64), nullable=False),  # e.g. ideas.status, ideas.reveal, ideas.export
    Column("actor_key", String(512), nullable=False),  # who did it (an admin, a reviewer, a moderator)
    Column("actor_name", String(256), nullable=False),
    Column("subject", String(512), nullable=False),  # what it was done to (an idea id, a broadcast id, an export)
    Column("details", JSON, nullable=False),  # never the identity of an anonymous submitter
    PrimaryKeyConstraint("entry_id"),
    Index(None, "at"),
)

tenant_pace = Table(
    "tenant_pace",
    metadata,
    # The per-tenant budget of bot-initiated calls shared by every instance (bot.pacing): epoch seconds.
    Column("tenant_id", String(128), nullable=False),
    Column("next_at", Double, nullable=False),  # the next free send slot
    Column("slowed_until", Double, nullable=False),  # the end of the latest back-off after a 429
    PrimaryKeyConstraint("tenant_id"),
)
