"""Tables of the tips feature, on the bot's one MetaData (declared by the feature).

- `tip_seen`: which tips an audience has already been shown. An audience is a person (`user:<aad id>`) for the
  tip command, or a conversation (`conversation:<id>`) for the tip of the day; one table, one rule (no repeats
  until the library is exhausted).
- `tip_feedback`: one rating per person per tip; the primary key is what makes a second click an update.
- `tip_subscriptions`: conversations that get a tip of the day, at what time and in which language. The scheduler
  job is the mechanism; this row is the state users see and the job checks.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Integer, PrimaryKeyConstraint, String, Table

from bot.store.tables import CONVERSATION_ID, UTCDateTime, metadata

TIP_ID = String(64)
AUDIENCE = String(1100)  # "conversation:" + a conversation id (up to 1024)
USER_KEY = String(512)  # the AAD object id, or the channel user id where Teams sends none

tip_seen = Table(
    "tip_seen",
    metadata,
    Column("audience", AUDIENCE, nullable=False),
    Column("tip_id", TIP_ID, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("audience", "tip_id"),
)

tip_feedback = Table(
    "tip_feedback",
    metadata,
    Column("tip_id", TIP_ID, nullable=False),
    Column("user_key", USER_KEY, nullable=False),
    Column("helpful", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("tip_id", "user_key"),
)

tip_subscriptions = Table(
    "tip_subscriptions",
    metadata,
    Column("conversation_id", CONVERSATION_ID, nullable=False),
    Column("hour", Integer, nullable=False),
    Column("minute", Integer, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("subscribed_by", USER_KEY, nullable=False),
    Column("last_posted_on", Date),  # the Tokyo date of the last post: a second run that day posts nothing
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("conversation_id"),
)
