"""Timed work in the bot's own tables; crash-safe activity claims; instances; the delivery ledger.

- `timed_work` replaces APScheduler's pickled job store. Every row of `apscheduler_jobs` is carried over by its
  job id, which was always stable (`nudge:<id>`, `poll-close:<id>`, `poll-remind:<id>`, `poll-repeat:<id>`,
  `tips:daily:<conversation>`), whatever module path the pickle named (`bot.nudges.jobs:fire`,
  `dialogs.nudges_jobs:fire`, …): an upgrade that moves code can no longer delete pending work. The platform's own
  jobs (`platform:*`) are planned again at start.
- `processed_activities` gets `state` and `owner`: a claim whose turn never finished (its instance died) is taken
  over by the retry instead of being answered as a duplicate.
- `bot_state` (botbuilder Storage) goes: no feature used it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)

# Old APScheduler job id prefix → the timed work's stable name. The rest of the id is the item.
CARRIED_OVER = {
    "nudge:": "nudges.post",
    "poll-close:": "polls.close",
    "poll-remind:": "polls.remind",
    "poll-repeat:": "polls.repeat",
    "tips:daily:": "tips.daily",
}
PLANNED_AGAIN = ("platform:",)
# A job id this bot never planned is kept, under a name no handler has: health reports it, nothing drops it.
UNKNOWN = "apscheduler.unknown"


def _stored(moment: datetime, dialect: str) -> datetime:
    """What `UTCDateTime` stores: naive UTC on SQLite, aware on PostgreSQL."""
    return moment.replace(tzinfo=None) if dialect == "sqlite" else moment


def _carry_over_apscheduler_jobs(timed_work: sa.Table) -> None:
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("apscheduler_jobs"):
        return
    dialect = bind.dialect.name
    now = datetime.now(UTC)
    rows = []
    for job_id, next_run_time in bind.execute(sa.text("SELECT id, next_run_time FROM apscheduler_jobs")):
        if job_id.startswith(PLANNED_AGAIN):
            continue
        prefix = next((p for p in CARRIED_OVER if job_id.startswith(p)), "")
        # A job with no next run time was paused (never done by this bot): run it now, its handler re-checks.
        due = datetime.fromtimestamp(next_run_time, UTC) if next_run_time is not None else now
        rows.append(
            {
                "name": CARRIED_OVER.get(prefix, UNKNOWN),
                "item": job_id[len(prefix) :],
                "occurrence": _stored(due, dialect),
                "due_at": _stored(due, dialect),
                "payload": {},
                "version": 1,
                "attempts": 0,
                "created_at": _stored(now, dialect),
                "updated_at": _stored(now, dialect),
            }
        )
    if rows:
        op.bulk_insert(timed_work, rows)
    op.drop_table("apscheduler_jobs")


def upgrade() -> None:
    timed_work = op.create_table(
        "timed_work",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("item", sa.String(1024), nullable=False),
        sa.Column("occurrence", TIMESTAMP, nullable=False),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", TIMESTAMP),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", "item", name="pk_timed_work"),
    )
    op.create_index("ix_timed_work_due_at", "timed_work", ["due_at"])
    op.create_table(
        "delivery_ledger",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("activity_id", sa.String(512)),
        sa.Column("sent_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_delivery_ledger"),
    )
    op.create_index("ix_delivery_ledger_sent_at", "delivery_ledger", ["sent_at"])
    op.create_table(
        "bot_instances",
        sa.Column("instance_id", sa.String(64), nullable=False),
        sa.Column("host", sa.String(256), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("heartbeat_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("instance_id", name="pk_bot_instances"),
    )
    with op.batch_alter_table("processed_activities") as batch:
        batch.add_column(sa.Column("state", sa.String(8), nullable=False, server_default="done"))
        batch.add_column(sa.Column("owner", sa.String(64), nullable=False, server_default=""))
    with op.batch_alter_table("processed_activities") as batch:
        batch.alter_column("state", server_default=None)
        batch.alter_column("owner", server_default=None)
    _carry_over_apscheduler_jobs(timed_work)
    op.drop_table("bot_state")


def downgrade() -> None:
    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(2048), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_bot_state"),
    )
    with op.batch_alter_table("processed_activities") as batch:
        batch.drop_column("owner")
        batch.drop_column("state")
    op.drop_table("bot_instances")
    op.drop_table("delivery_ledger")
    op.drop_table("timed_work")
