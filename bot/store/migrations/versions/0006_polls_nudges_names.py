"""Polls and nudges: `creator_key` says what the column holds (an Entra id, or a Teams id when Teams sent none);
polls remember their anonymity key's fingerprint and the version of the votes their shared card shows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("polls") as batch:
        batch.alter_column("creator_aad_id", new_column_name="creator_key")
        batch.add_column(sa.Column("ballot_key_id", sa.String(16)))
        batch.add_column(sa.Column("card_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("polls") as batch:
        batch.alter_column("card_version", server_default=None)
    with op.batch_alter_table("nudges") as batch:
        batch.alter_column("creator_aad_id", new_column_name="creator_key")


def downgrade() -> None:
    with op.batch_alter_table("nudges") as batch:
        batch.alter_column("creator_key", new_column_name="creator_aad_id")
    with op.batch_alter_table("polls") as batch:
        batch.drop_column("card_version")
        batch.drop_column("ballot_key_id")
        batch.alter_column("creator_key", new_column_name="creator_aad_id")
