"""Tables of the tips feature: seen tips, feedback, tip-of-the-day subscriptions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tip_seen",
        sa.Column("audience", sa.String(1100), nullable=False),
        sa.Column("tip_id", sa.String(64), nullable=False),
        sa.Column("seen_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("audience", "tip_id", name="pk_tip_seen"),
    )
    op.create_table(
        "tip_feedback",
        sa.Column("tip_id", sa.String(64), nullable=False),
        sa.Column("user_key", sa.String(512), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("tip_id", "user_key", name="pk_tip_feedback"),
    )
    op.create_table(
        "tip_subscriptions",
        sa.Column("conversation_id", sa.String(1024), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("subscribed_by", sa.String(512), nullable=False),
        sa.Column("last_posted_on", sa.Date()),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name="pk_tip_subscriptions"),
    )


def downgrade() -> None:
    op.drop_table("tip_subscriptions")
    op.drop_table("tip_feedback")
    op.drop_table("tip_seen")
