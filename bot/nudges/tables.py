"""Tables of the nudges feature, on the bot's one MetaData (declared by the feature).

One row per nudge. The schedule is stored as its parts (not cron text) so the list card and the edit form can
show it back; `next_run_at` is the next delivery, planned as the timed work `nudges.post` of the nudge.
A user's snooze lives in `user_preferences.prefs` (it follows the person, not a nudge).
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from bot.store.tables import CONVERSATION_ID, UTCDateTime, metadata

nudges = Table(
    "nudges",
    metadata,
    Column("nudge_id", String(32), nullable=False),
    Column("tenant_id", String(128)),
    Column("conversation_id", CONVERSATION_ID, nullable=False),  # where it is posted
    Column("place_id", CONVERSATION_ID, nullable=False),  # the chat or channel, without a thread's ;messageid=
    Column("conversation_type", String(32), nullable=False),  # personal | groupChat | channel
    Column("creator_key", String(512), nullable=False),  # who made it: Entra object id, else their Teams id
    Column("lang", String(8), nullable=False),
    Column("text", Text, nullable=False),
    Column("kind", String(16), nullable=False),  # daily | weekly | monthly | once
    Column("at_time", String(5), nullable=False),  # HH:MM in the bot's time zone
    Column("weekdays", JSON, nullable=False),  # [0..6], Monday = 0
    Column("day_of_month", Integer),
    Column("on_date", Date),
    Column("working_days_only", Boolean, nullable=False),
    Column("paused", Boolean, nullable=False),
    Column("next_run_at", UTCDateTime),
    Column("last_sent_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("nudge_id"),
    Index(None, "place_id"),
)
