"""Tables of broadcasts, on the bot's one MetaData (declared by the feature).

`broadcast_recipients` is the durable outbox: one row per recipient of the frozen list, with its delivery state.
A row with `todo` set needs a worker (to be posted, its card updated after an edit or the recall, or reminded);
`owner` is the instance working on it. `broadcast_acks` holds one 「確認しました」 per person and broadcast.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from bot.store.tables import CONVERSATION_ID, UTCDateTime, metadata

broadcasts = Table(
    "broadcasts",
    metadata,
    Column("broadcast_id", String(32), nullable=False),
    Column("tenant_id", String(128)),
    Column("author_key", String(512), nullable=False),
    Column("author_name", String(256), nullable=False),
    Column("author_lang", String(8), nullable=False),
    Column("author_chat", CONVERSATION_ID, nullable=False),
    Column("service_url", String(512), nullable=False),
    Column("bot_id", String(256), nullable=False),
    Column("status", String(24), nullable=False),
    Column("content", JSON, nullable=False),  # title, body, plain, title_en, body_en, image, link, ack, deadline
    Column("audience", JSON, nullable=False),  # kind, channels, teams, group
    Column("audience_label", Text, nullable=False),
    Column("send_at", UTCDateTime),
    Column("recipients", Integer, nullable=False),
    Column("unreachable", Integer, nullable=False),
    Column("needs_approval", Boolean, nullable=False),
    Column("approver_key", String(512)),
    Column("approver_name", String(256)),
    Column("approval_comment", Text),
    Column("version", Integer, nullable=False),
    Column("report_activity", String(512)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    PrimaryKeyConstraint("broadcast_id"),
    Index(None, "tenant_id", "status", "updated_at"),
)

broadcast_recipients = Table(
    "broadcast_recipients",
    metadata,
    Column("broadcast_id", String(32), nullable=False),
    Column("recipient_key", String(600), nullable=False),  # person:<aad id> | channel:<channel id>
    Column("kind", String(8), nullable=False),  # person | channel
    Column("tenant_id", String(128)),
    Column("aad_id", String(128)),
    Column("user_id", String(512)),
    Column("name", String(256), nullable=False),
    Column("conversation_id", CONVERSATION_ID),
    Column("segment", String(256), nullable=False),
    Column("team_id", String(512)),
    Column("size", Integer, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("state", String(16), nullable=False),  # held | pending | sending | sent | failed | not_installed | cancelled
    Column("reason", Text),
    Column("attempts", Integer, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),  # not before (retries back off)
    Column("todo", Boolean, nullable=False),  # a worker has something to do for it
    Column("owner", String(64)),  # the instance working on it
    Column("activity_id", String(512)),
    Column("shown", Integer, nullable=False),  # card version delivered
    Column("want", Integer, nullable=False),  # card version it should show
    Column("remind", String(8), nullable=False),  # no | due | sent | failed
    Column("installed", Boolean, nullable=False),  # the bot installed the app for them first
    Column("sent_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("broadcast_id", "recipient_key"),
    Index(None, "todo", "due_at"),
    Index(None, "broadcast_id", "state"),
    Index(None, "owner"),
    Index(None, "conversation_id"),
)

broadcast_acks = Table(
    "broadcast_acks",
    metadata,
    Column("broadcast_id", String(32), nullable=False),
    Column("user_key", String(512), nullable=False),
    Column("name", String(256), nullable=False),
    Column("segment", String(256), nullable=False),
    Column("acked_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("broadcast_id", "user_key"),
)
