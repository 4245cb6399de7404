"""The hazard register: hazards, their steps and files, the quarterly self-inspections.

Revision ID: 0008
Revises: 0007
Created: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hazards",
        sa.Column("id", sa.Text(), nullable=False, comment="HZ-<year>-<number>"),
        sa.Column("source", sa.Text(), nullable=False,
                  comment="alert, patrol, inspection or rule"),
        sa.Column("alert_id", sa.Text(), server_default="", nullable=False,
                  comment="the alert it was made from, if any"),
        sa.Column("inspection_id", sa.Text(), server_default="", nullable=False),
        sa.Column("zone", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), server_default="", nullable=False,
                  comment="the floor plan it is pinned on, with x and y"),
        sa.Column("x", sa.Float(), nullable=True),
        sa.Column("y", sa.Float(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False, comment="general or major"),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("found_by", sa.Text(), nullable=False),
        sa.Column("found_at", sa.Float(), nullable=False),
        sa.Column("responsible", sa.Text(), nullable=False,
                  comment="the person who fixes it"),
        sa.Column("deadline", sa.Float(), nullable=False),
        sa.Column("fix_plan", sa.Text(), server_default="", nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("fixed_by", sa.Text(), nullable=True),
        sa.Column("fixed_at", sa.Float(), nullable=True),
        sa.Column("fix_note", sa.Text(), server_default="", nullable=False),
        sa.Column("verified_by", sa.Text(), nullable=True),
        sa.Column("verified_at", sa.Float(), nullable=True),
        sa.Column("closed_by", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.Column("reviewed_by", sa.Text(), nullable=True),
        sa.Column("reviewed_at", sa.Float(), nullable=True),
        sa.Column("reopened", sa.Integer(), server_default="0", nullable=False),
        sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False,
                  comment="0 none, 1 the responsible person's supervisor, 2 the principal"),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("hazards_state", "hazards", ["state"])
    op.create_index("hazards_found", "hazards", ["found_at"])
    op.create_table(
        "hazard_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hazard_id", sa.Text(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False, comment="the state after the step"),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["hazard_id"], ["hazards.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("hazard_steps_hazard", "hazard_steps", ["hazard_id"])
    op.create_table(
        "hazard_files",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("hazard_id", sa.Text(), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False, comment="found, fix or verify"),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=False),
        sa.Column("added_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["hazard_id"], ["hazards.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("hazard_files_hazard", "hazard_files", ["hazard_id"])
    op.create_table(
        "inspections",
        sa.Column("id", sa.Text(), nullable=False, comment="the quarter, e.g. 2026-Q4"),
        sa.Column("due", sa.Float(), nullable=False),
        sa.Column("checklist", sa.Text(), nullable=False,
                  comment="JSON: category -> finding"),
        sa.Column("completed_by", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("inspections")
    op.drop_index("hazard_files_hazard", table_name="hazard_files")
    op.drop_table("hazard_files")
    op.drop_index("hazard_steps_hazard", table_name="hazard_steps")
    op.drop_table("hazard_steps")
    op.drop_index("hazards_found", table_name="hazards")
    op.drop_index("hazards_state", table_name="hazards")
    op.drop_table("hazards")
