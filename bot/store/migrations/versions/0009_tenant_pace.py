"""The per-tenant send budget shared by every bot instance (bot.pacing).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_pace",
        sa.Column("tenant_id", sa.String(128), nullable=False),
        sa.Column("next_at", sa.Double(), nullable=False),
        sa.Column("slowed_until", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenant_pace"),
    )


def downgrade() -> None:
    op.drop_table("tenant_pace")
