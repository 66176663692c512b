"""Tables of the polls feature, on the bot's one MetaData (declared by the feature).

A ballot is keyed by (poll, voter key), so the database itself allows one ballot per person per poll. For an
anonymous poll the voter key is a keyed hash (see `bot.polls.ballots`) and no name or Teams id is kept: nothing
in these tables names who voted. Ballots carry no timestamps, so vote times can't be matched against other records.
The chosen options are rows of their own, so totals are one indexed GROUP BY, not a scan of JSON.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from bot.store.tables import CONVERSATION_ID, UTCDateTime, metadata

polls = Table(
    "polls",
    metadata,
    Column("poll_id", String(32), nullable=False),
    Column("tenant_id", String(128)),
    Column("conversation_id", CONVERSATION_ID, nullable=False),  # where the card was posted
    Column("conversation_type", String(32), nullable=False),  # personal | groupChat | channel
    Column("service_url", String(512), nullable=False),
    Column("creator_key", String(512), nullable=False),  # who made it: Entra object id, else their Teams id
    Column("lang", String(8), nullable=False),
    Column("question", Text, nullable=False),
    Column("options", JSON, nullable=False),  # [text, …], 2–10
    Column("multi", Boolean, nullable=False),
    Column("max_choices", Integer),
    Column("anonymous", Boolean, nullable=False),
    Column("visibility", String(16), nullable=False),  # live | after_close | creator
    Column("deadline", UTCDateTime),
    Column("remind_before", Integer),  # minutes
    Column("status", String(16), nullable=False),  # open | closed
    Column("activity_id", String(512)),  # the posted card, for updates
    Column("card_dirty", Boolean, nullable=False),  # a vote changed the totals; the shared card is not yet updated
    Column("recurrence", JSON),  # {"kind": "weekly"|"monthly", "at": "HH:MM", "weekday"|"day": n}
    Column("ballot_key_id", String(16)),  # fingerprint of the anonymity key ballots are made with; NULL = legacy
    Column("card_version", Integer, nullable=False),  # bumped by every vote (the card shows a version)
    Column("closed_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("poll_id"),
    Index(None, "card_dirty"),
)

poll_ballots = Table(
    "poll_ballots",
    metadata,
    Column("poll_id", String(32), nullable=False),
    Column("voter_key", String(512), nullable=False),  # Entra id (named) or HMAC-SHA256 hex (anonymous)
    Column("voter_name", String(256)),  # named polls only
    Column("voter_id", String(512)),  # named polls only: the Teams id (29:…) the shared card refreshes for
    PrimaryKeyConstraint("poll_id", "voter_key"),
)

poll_choices = Table(
    "poll_choices",
    metadata,
    Column("poll_id", String(32), nullable=False),
    Column("voter_key", String(512), nullable=False),
    Column("option", Integer, nullable=False),
    PrimaryKeyConstraint("poll_id", "voter_key", "option"),
    Index(None, "poll_id", "option"),
)

poll_secrets = Table(
    "poll_secrets",
    metadata,
    Column("name", String(64), nullable=False),
    Column("secret", String(128), nullable=False),  # hex; one random value per installation
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("name"),
)
