"""follow-ups and spreadsheets: programmes.follow_up_days, check_ins, spreadsheet_imports

Revision ID: 5f0c1a9e7d24
Revises: 6b48e499d1cf
Create Date: 2026-12-01 21:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "5f0c1a9e7d24"
down_revision: str | None = "6b48e499d1cf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "follow_up_days", sa.JSON(), nullable=False, server_default=sa.text("'[30, 90]'")
            )
        )
    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("recorded_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "status IN ('meeting', 'paused', 'not_started', 'ended')",
            name=op.f("ck_check_ins_status"),
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["matches.id"],
            name=op.f("fk_check_ins_match_id_matches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_ins")),
        sqlite_autoincrement=True,  # ids are never reused
    )
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_ins_match_id"), ["match_id"], unique=False)
    op.create_table(
        "spreadsheet_imports",
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("committed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_ids", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('newcomers', 'mentors')", name=op.f("ck_spreadsheet_imports_kind")
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_spreadsheet_imports")),
    )
    with op.batch_alter_table("spreadsheet_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spreadsheet_imports_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("spreadsheet_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spreadsheet_imports_expires_at"))
    op.drop_table("spreadsheet_imports")
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_ins_match_id"))
    op.drop_table("check_ins")
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.drop_column("follow_up_days")
