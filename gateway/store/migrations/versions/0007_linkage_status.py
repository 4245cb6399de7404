"""The statuses linkage platforms send back, and the keys already received.

Revision ID: 0007
Revises: 0006
Created: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "linkage", sa.Text(), server_default="[]", nullable=False,
            comment="JSON list of the statuses linkage platforms sent back (0007)"))
    op.create_table(
        "linkage_inbox",
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False,
                  comment="the platform's own idempotency key"),
        sa.Column("alert_id", sa.Text(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "key"),
    )


def downgrade() -> None:
    op.drop_table("linkage_inbox")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("linkage")
