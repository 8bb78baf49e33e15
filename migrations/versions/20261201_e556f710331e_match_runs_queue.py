"""match_runs: a queue (queued, phase, requested_by), one run in flight per key, pruned details

Revision ID: e556f710331e
Revises: c7d1e2f3a4b5
Create Date: 2026-12-01 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "e556f710331e"
down_revision: str | None = "c7d1e2f3a4b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_FLIGHT = "status IN ('queued', 'running')"


def upgrade() -> None:
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phase", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("requested_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("queued_at", app.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("details_pruned", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.alter_column(
            "started_at", existing_type=app.db.UTCDateTime(timezone=True), nullable=True
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_match_runs_requested_by_api_keys"),
            "api_keys",
            ["requested_by"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute("UPDATE match_runs SET queued_at = started_at")
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.alter_column(
            "queued_at", existing_type=app.db.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.alter_column("details_pruned", server_default=None)
        batch_op.create_check_constraint(
            "status_known", "status IN ('queued', 'running', 'succeeded', 'failed')"
        )
        batch_op.create_index("ix_match_runs_status", ["status"])
        batch_op.create_index(
            "uq_match_runs_in_flight_per_key",
            ["requested_by"],
            unique=True,
            sqlite_where=sa.text(IN_FLIGHT),
            postgresql_where=sa.text(IN_FLIGHT),
        )
        batch_op.create_index(
            "uq_match_runs_one_writing_in_flight",
            ["dry_run"],
            unique=True,
            sqlite_where=sa.text(f"NOT dry_run AND {IN_FLIGHT}"),
            postgresql_where=sa.text(f"NOT dry_run AND {IN_FLIGHT}"),
        )


def downgrade() -> None:
    # Queued runs never started: they cannot be expressed without the queue.
    op.execute("DELETE FROM match_runs WHERE status = 'queued'")
    op.execute("UPDATE match_runs SET started_at = queued_at WHERE started_at IS NULL")
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.drop_index("uq_match_runs_one_writing_in_flight")
        batch_op.drop_index("uq_match_runs_in_flight_per_key")
        batch_op.drop_index("ix_match_runs_status")
        batch_op.drop_constraint("status_known", type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_match_runs_requested_by_api_keys"), type_="foreignkey"
        )
        batch_op.alter_column(
            "started_at", existing_type=app.db.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.drop_column("details_pruned")
        batch_op.drop_column("queued_at")
        batch_op.drop_column("requested_by")
        batch_op.drop_column("phase")
