"""Initial schema: conversations, processed activities, user preferences, bot state.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("conversation_id", sa.String(1024), nullable=False),
        sa.Column("conversation_type", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(128)),
        sa.Column("team_id", sa.String(512)),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("service_url", sa.String(512), nullable=False),
        sa.Column("bot_id", sa.String(256), nullable=False),
        sa.Column("bot_name", sa.String(256)),
        sa.Column("user_id", sa.String(512)),
        sa.Column("user_aad_id", sa.String(128)),
        sa.Column("locale", sa.String(32)),
        sa.Column("installed", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failure_code", sa.Integer()),
        sa.Column("failure_reason", sa.Text()),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name="pk_conversations"),
    )
    op.create_index("ix_conversations_tenant_id_installed", "conversations", ["tenant_id", "installed"])
    op.create_index("ix_conversations_user_aad_id", "conversations", ["user_aad_id"])

    op.create_table(
        "processed_activities",
        sa.Column("conversation_id", sa.String(1024), nullable=False),
        sa.Column("activity_id", sa.String(512), nullable=False),
        sa.Column("processed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", "activity_id", name="pk_processed_activities"),
    )
    op.create_index("ix_processed_activities_processed_at", "processed_activities", ["processed_at"])

    op.create_table(
        "user_preferences",
        sa.Column("user_aad_id", sa.String(512), nullable=False),
        sa.Column("tenant_id", sa.String(128)),
        sa.Column("locale", sa.String(32)),
        sa.Column("prefs", sa.JSON(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("user_aad_id", name="pk_user_preferences"),
    )

    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(2048), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_bot_state"),
    )


def downgrade() -> None:
    op.drop_table("bot_state")
    op.drop_table("user_preferences")
    op.drop_index("ix_processed_activities_processed_at", table_name="processed_activities")
    op.drop_table("processed_activities")
    op.drop_index("ix_conversations_user_aad_id", table_name="conversations")
    op.drop_index("ix_conversations_tenant_id_installed", table_name="conversations")
    op.drop_table("conversations")
