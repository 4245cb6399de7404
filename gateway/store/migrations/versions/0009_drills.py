"""Drills as planned and reported: kind, lead, expected participants, evacuation time; an
index the statistics read device outages by.

Revision ID: 0009
Revises: 0008
Created: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drills",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False,
                  comment="comprehensive, fire, anti_terror, food_safety, flood or night"),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("zone", sa.Text(), nullable=True, comment="none: the whole site"),
        sa.Column("planned_start", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("expected_participants", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lead", sa.Text(), server_default="", nullable=False),
        sa.Column("source", sa.Text(), nullable=False, comment="config or console"),
        sa.Column("planned_by", sa.Text(), nullable=False),
        sa.Column("mode_id", sa.Text(), server_default="", nullable=False,
                  comment="the drill mode it ran in: its start and end"),
        sa.Column("evacuation_s", sa.Float(), nullable=True,
                  comment="entered by the drill lead"),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("drills_planned", "drills", ["planned_start"])
    op.create_index("alerts_category_updated", "alerts", ["category", "updated_at"])


def downgrade() -> None:
    op.drop_index("alerts_category_updated", table_name="alerts")
    op.drop_index("drills_planned", table_name="drills")
    op.drop_table("drills")
