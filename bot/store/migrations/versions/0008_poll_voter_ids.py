"""Named polls remember each voter's Teams id, so the shared card can list who sees their own vote at once
(Universal Actions `refresh.userIds`). Anonymous ballots never hold it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("poll_ballots") as batch:
        batch.add_column(sa.Column("voter_id", sa.String(512)))


def downgrade() -> None:
    with op.batch_alter_table("poll_ballots") as batch:
        batch.drop_column("voter_id")
