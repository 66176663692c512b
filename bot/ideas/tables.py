"""Tables of the idea box, on the bot's one MetaData (declared by the feature).

Nothing here names the submitter of an anonymous idea: `owner_tag` is a keyed hash (only the anonymity key links it
to a person, and only for "my ideas"), and how to reach them is encrypted with a key from configuration. Votes are
keyed hashes too (one per person and idea, nobody's preference readable).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from bot.store.tables import CONVERSATION_ID, UTCDateTime, metadata

ideas = Table(
    "ideas",
    metadata,
    Column("idea_id", String(32), nullable=False),
    Column("tenant_id", String(128)),
    Column("kind", String(16), nullable=False),  # idea | feedback
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("category", String(64), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("identity", String(16), nullable=False),  # named | pseudonymous | anonymous
    Column("author_key", String(512)),  # named ideas only
    Column("author_name", String(256)),  # named ideas only
    Column("pseudonym", String(64)),  # pseudonymous ideas only
    Column("owner_tag", String(64), nullable=False),  # HMAC of the submitter: "my ideas"
    Column("sealed_reach", Text, nullable=False),  # AES-GCM: how to message the submitter
    Column("sealed_identity", Text),  # AES-GCM: who (pseudonymous ideas, for a moderator's reveal)
    Column("service", String(200)),  # feedback: the digital service
    Column("satisfaction", Integer),  # feedback: 1–5
    Column("analog", JSON),  # アナログ規制: {rule, clause, act, replacement}
    Column("call_id", String(32)),
    Column("status", String(16), nullable=False),
    Column("answer", Text),
    Column("votes", Integer, nullable=False),
    Column("comments", Integer, nullable=False),
    Column("conversation_id", CONVERSATION_ID),  # where its card is
    Column("activity_id", String(512)),
    Column("poll_id", String(32)),
    Column("poll_option", Integer),
    Column("poll_votes", Integer),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("idea_id"),
    Index(None, "tenant_id", "status", "status_changed_at"),
    Index(None, "owner_tag"),
    Index(None, "call_id"),
    Index(None, "poll_id"),
    Index(None, "updated_at"),
)

idea_votes = Table(
    "idea_votes",
    metadata,
    Column("idea_id", String(32), nullable=False),
    Column("voter_key", String(64), nullable=False),  # HMAC of the voter and the idea
    Column("voted_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("idea_id", "voter_key"),
)

idea_comments = Table(
    "idea_comments",
    metadata,
    Column("comment_id", String(32), nullable=False),
    Column("idea_id", String(32), nullable=False),
    Column("author_key", String(512), nullable=False),
    Column("author_name", String(256), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("comment_id"),
    Index(None, "idea_id", "created_at"),
)

idea_calls = Table(
    "idea_calls",
    metadata,
    Column("call_id", String(32), nullable=False),
    Column("tenant_id", String(128)),
    Column("theme", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("deadline", UTCDateTime, nullable=False),
    Column("conversation_id", CONVERSATION_ID, nullable=False),
    Column("organiser_key", String(512), nullable=False),
    Column("organiser_name", String(256), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("status", String(16), nullable=False),  # open | closed
    Column("activity_id", String(512)),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("call_id"),
)

idea_channels = Table(
    "idea_channels",
    metadata,
    Column("scope", String(600), nullable=False),  # tenant:<id> (the whole organisation) or team:<id>
    Column("conversation_id", CONVERSATION_ID, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("set_by", String(512), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("scope"),
)
