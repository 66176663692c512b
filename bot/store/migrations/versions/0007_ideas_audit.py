"""The idea box (ideas, their votes and comments, themed calls, idea channels) and the audit log.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
CONVERSATION_ID = sa.String(1024)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("entry_id", sa.String(32), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("feature", sa.String(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor_key", sa.String(512), nullable=False),
        sa.Column("actor_name", sa.String(256), nullable=False),
        sa.Column("subject", sa.String(512), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "ideas",
        sa.Column("idea_id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(128)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("identity", sa.String(16), nullable=False),
        sa.Column("author_key", sa.String(512)),
        sa.Column("author_name", sa.String(256)),
        sa.Column("pseudonym", sa.String(64)),
        sa.Column("owner_tag", sa.String(64), nullable=False),
        sa.Column("sealed_reach", sa.Text(), nullable=False),
        sa.Column("sealed_identity", sa.Text()),
        sa.Column("service", sa.String(200)),
        sa.Column("satisfaction", sa.Integer()),
        sa.Column("analog", sa.JSON()),
        sa.Column("call_id", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answer", sa.Text()),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("conversation_id", CONVERSATION_ID),
        sa.Column("activity_id", sa.String(512)),
        sa.Column("poll_id", sa.String(32)),
        sa.Column("poll_option", sa.Integer()),
        sa.Column("poll_votes", sa.Integer()),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("status_changed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("idea_id", name="pk_ideas"),
    )
    op.create_index("ix_ideas_tenant_id_status_status_changed_at", "ideas", ["tenant_id", "status", "status_changed_at"])
    for column in ("owner_tag", "call_id", "poll_id", "updated_at"):
        op.create_index(f"ix_ideas_{column}", "ideas", [column])
    op.create_table(
        "idea_votes",
        sa.Column("idea_id", sa.String(32), nullable=False),
        sa.Column("voter_key", sa.String(64), nullable=False),
        sa.Column("voted_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("idea_id", "voter_key", name="pk_idea_votes"),
    )
    op.create_table(
        "idea_comments",
        sa.Column("comment_id", sa.String(32), nullable=False),
        sa.Column("idea_id", sa.String(32), nullable=False),
        sa.Column("author_key", sa.String(512), nullable=False),
        sa.Column("author_name", sa.String(256), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("comment_id", name="pk_idea_comments"),
    )
    op.create_index("ix_idea_comments_idea_id_created_at", "idea_comments", ["idea_id", "created_at"])
    op.create_table(
        "idea_calls",
        sa.Column("call_id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(128)),
        sa.Column("theme", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("deadline", TIMESTAMP, nullable=False),
        sa.Column("conversation_id", CONVERSATION_ID, nullable=False),
        sa.Column("organiser_key", sa.String(512), nullable=False),
        sa.Column("organiser_name", sa.String(256), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("activity_id", sa.String(512)),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("call_id", name="pk_idea_calls"),
    )
    op.create_table(
        "idea_channels",
        sa.Column("scope", sa.String(600), nullable=False),
        sa.Column("conversation_id", CONVERSATION_ID, nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("set_by", sa.String(512), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("scope", name="pk_idea_channels"),
    )


def downgrade() -> None:
    for table in ("idea_channels", "idea_calls", "idea_comments", "idea_votes", "ideas", "audit_log"):
        op.drop_table(table)
