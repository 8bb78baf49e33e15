"""matches: at most one accepted match per request; status index for runs

Revision ID: c7d1e2f3a4b5
Revises: baa6a04e2640
Create Date: 2026-11-22 23:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c7d1e2f3a4b5"
down_revision: str | None = "baa6a04e2640"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A request (newcomer, programme) has at most one accepted match: the database itself
    # refuses a second one, whatever two concurrent accepts for different mentors do.
    op.create_index(
        "uq_matches_accepted_request",
        "matches",
        ["newcomer_id", "programme"],
        unique=True,
        sqlite_where=sa.text("status = 'accepted'"),
        postgresql_where=sa.text("status = 'accepted'"),
    )
    op.create_index("ix_matches_status", "matches", ["status"])


def downgrade() -> None:
    op.drop_index("ix_matches_status", table_name="matches")
    op.drop_index("uq_matches_accepted_request", table_name="matches")
