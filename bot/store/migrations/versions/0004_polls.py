"""Tables of the polls feature.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "polls",
        sa.Column("poll_id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(128)),
        sa.Column("conversation_id", sa.String(1024), nullable=False),
        sa.Column("conversation_type", sa.String(32), nullable=False),
        sa.Column("service_url", sa.String(512), nullable=False),
        sa.Column("creator_aad_id", sa.String(512), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("multi", sa.Boolean(), nullable=False),
        sa.Column("max_choices", sa.Integer()),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("deadline", TIMESTAMP),
        sa.Column("remind_before", sa.Integer()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("activity_id", sa.String(512)),
        sa.Column("card_dirty", sa.Boolean(), nullable=False),
        sa.Column("recurrence", sa.JSON()),
        sa.Column("closed_at", TIMESTAMP),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("poll_id", name="pk_polls"),
    )
    op.create_index("ix_polls_card_dirty", "polls", ["card_dirty"])
    op.create_table(
        "poll_ballots",
        sa.Column("poll_id", sa.String(32), nullable=False),
        sa.Column("voter_key", sa.String(512), nullable=False),
        sa.Column("voter_name", sa.String(256)),
        sa.PrimaryKeyConstraint("poll_id", "voter_key", name="pk_poll_ballots"),
    )
    op.create_table(
        "poll_choices",
        sa.Column("poll_id", sa.String(32), nullable=False),
        sa.Column("voter_key", sa.String(512), nullable=False),
        sa.Column("option", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("poll_id", "voter_key", "option", name="pk_poll_choices"),
    )
    op.create_index("ix_poll_choices_poll_id_option", "poll_choices", ["poll_id", "option"])
    op.create_table(
        "poll_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_poll_secrets"),
    )


def downgrade() -> None:
    op.drop_table("poll_secrets")
    op.drop_index("ix_poll_choices_poll_id_option", table_name="poll_choices")
    op.drop_table("poll_choices")
    op.drop_table("poll_ballots")
    op.drop_index("ix_polls_card_dirty", table_name="polls")
    op.drop_table("polls")
