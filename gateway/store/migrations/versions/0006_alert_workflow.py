"""How operators work alerts (owner, snooze, closure, checklist, dispatches), versioned
procedures, shift handovers.

Revision ID: 0006
Revises: 0005
Created: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_en", sa.Text(), server_default="",
                                      nullable=False))
        batch_op.add_column(sa.Column("sop_id", sa.Text(), server_default="", nullable=False,
                                      comment="the procedure of its checklist"))
        batch_op.add_column(sa.Column("sop_version", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("owner", sa.Text(), server_default="", nullable=False,
                                      comment="who claimed it"))
        batch_op.add_column(sa.Column("snoozed_until", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("closure", sa.Text(), nullable=True,
                                      comment="why it was resolved"))
        batch_op.add_column(sa.Column("checklist", sa.Text(), server_default="[]",
                                      nullable=False,
                                      comment="JSON list of steps with their answers"))
        batch_op.add_column(sa.Column("dispatches", sa.Text(), server_default="[]",
                                      nullable=False, comment="JSON list of who was sent"))
    op.create_table(
        "sops",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False,
                  comment="JSON: title, title_en, category, steps"),
        sa.Column("edited_by", sa.Text(), nullable=False),
        sa.Column("edited_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", "version"),
    )
    op.create_table(
        "handovers",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("from_user", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("open", sa.Text(), nullable=False, comment="JSON list of alert ids"),
        sa.Column("claimed", sa.Text(), nullable=False, comment="JSON list of alert ids"),
        sa.Column("snoozed", sa.Text(), nullable=False, comment="JSON list of alert ids"),
        sa.Column("accepted_by", sa.Text(), nullable=True),
        sa.Column("accepted_at", sa.Float(), nullable=True),
        sa.Column("accept_note", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("handovers_at", "handovers", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("handovers_at", table_name="handovers")
    op.drop_table("handovers")
    op.drop_table("sops")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        for column in ("dispatches", "checklist", "closure", "snoozed_until", "owner",
                       "sop_version", "sop_id", "title_en"):
            batch_op.drop_column(column)
