"""Broadcasts (お知らせ配信): the broadcasts, their outbox (one row per recipient) and acknowledgements.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
CONVERSATION_ID = sa.String(1024)


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("broadcast_id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(128)),
        sa.Column("author_key", sa.String(512), nullable=False),
        sa.Column("author_name", sa.String(256), nullable=False),
        sa.Column("author_lang", sa.String(8), nullable=False),
        sa.Column("author_chat", CONVERSATION_ID, nullable=False),
        sa.Column("service_url", sa.String(512), nullable=False),
        sa.Column("bot_id", sa.String(256), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("audience_label", sa.Text(), nullable=False),
        sa.Column("send_at", TIMESTAMP),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("unreachable", sa.Integer(), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("approver_key", sa.String(512)),
        sa.Column("approver_name", sa.String(256)),
        sa.Column("approval_comment", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("report_activity", sa.String(512)),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("started_at", TIMESTAMP),
        sa.Column("finished_at", TIMESTAMP),
        sa.PrimaryKeyConstraint("broadcast_id", name="pk_broadcasts"),
    )
    op.create_index(
        "ix_broadcasts_tenant_id_status_updated_at", "broadcasts", ["tenant_id", "status", "updated_at"]
    )
    op.create_table(
        "broadcast_recipients",
        sa.Column("broadcast_id", sa.String(32), nullable=False),
        sa.Column("recipient_key", sa.String(600), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("tenant_id", sa.String(128)),
        sa.Column("aad_id", sa.String(128)),
        sa.Column("user_id", sa.String(512)),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("conversation_id", CONVERSATION_ID),
        sa.Column("segment", sa.String(256), nullable=False),
        sa.Column("team_id", sa.String(512)),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("todo", sa.Boolean(), nullable=False),
        sa.Column("owner", sa.String(64)),
        sa.Column("activity_id", sa.String(512)),
        sa.Column("shown", sa.Integer(), nullable=False),
        sa.Column("want", sa.Integer(), nullable=False),
        sa.Column("remind", sa.String(8), nullable=False),
        sa.Column("installed", sa.Boolean(), nullable=False),
        sa.Column("sent_at", TIMESTAMP),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("broadcast_id", "recipient_key", name="pk_broadcast_recipients"),
    )
    op.create_index("ix_broadcast_recipients_todo_due_at", "broadcast_recipients", ["todo", "due_at"])
    op.create_index("ix_broadcast_recipients_broadcast_id_state", "broadcast_recipients", ["broadcast_id", "state"])
    op.create_index("ix_broadcast_recipients_owner", "broadcast_recipients", ["owner"])
    op.create_index("ix_broadcast_recipients_conversation_id", "broadcast_recipients", ["conversation_id"])
    op.create_table(
        "broadcast_acks",
        sa.Column("broadcast_id", sa.String(32), nullable=False),
        sa.Column("user_key", sa.String(512), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("segment", sa.String(256), nullable=False),
        sa.Column("acked_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("broadcast_id", "user_key", name="pk_broadcast_acks"),
    )


def downgrade() -> None:
    op.drop_table("broadcast_acks")
    op.drop_table("broadcast_recipients")
    op.drop_table("broadcasts")
