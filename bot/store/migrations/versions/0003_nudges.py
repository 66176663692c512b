"""Tables of the nudges feature.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "nudges",
        sa.Column("nudge_id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(128)),
        sa.Column("conversation_id", sa.String(1024), nullable=False),
        sa.Column("place_id", sa.String(1024), nullable=False),
        sa.Column("conversation_type", sa.String(32), nullable=False),
        sa.Column("creator_aad_id", sa.String(512), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at_time", sa.String(5), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("day_of_month", sa.Integer()),
        sa.Column("on_date", sa.Date()),
        sa.Column("working_days_only", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", TIMESTAMP),
        sa.Column("last_sent_at", TIMESTAMP),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("nudge_id", name="pk_nudges"),
    )
    op.create_index("ix_nudges_place_id", "nudges", ["place_id"])


def downgrade() -> None:
    op.drop_index("ix_nudges_place_id", table_name="nudges")
    op.drop_table("nudges")
