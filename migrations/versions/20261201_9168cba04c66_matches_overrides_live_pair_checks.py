"""matches: overrides of manual proposals, one live match per pair, status and source CHECKs

Revision ID: 9168cba04c66
Revises: e556f710331e
Create Date: 2026-12-01 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9168cba04c66"
down_revision: str | None = "e556f710331e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "status IN ('proposed', 'accepted', 'rejected', 'ended', 'superseded')"
SOURCES = "source IN ('solver', 'manual')"
LIVE = "status IN ('proposed', 'accepted')"
ACCEPTED = "status = 'accepted'"


def upgrade() -> None:
    # A pair proposed twice (possible before this revision, under concurrent requests): the
    # later proposals, and proposals of a pair already accepted, are moot.
    op.execute(
        "UPDATE matches SET status = 'superseded', version = version + 1 "
        "WHERE status = 'proposed' AND EXISTS (SELECT 1 FROM matches AS other "
        "WHERE other.newcomer_id = matches.newcomer_id "
        "AND other.mentor_id = matches.mentor_id AND other.id <> matches.id "
        "AND (other.status = 'accepted' OR (other.status = 'proposed' AND other.id < matches.id)))"
    )
    # SQLite rebuilds the table for the CHECKs; the partial index is re-created after it, so
    # its WHERE clause cannot be lost in the copy.
    op.drop_index("uq_matches_accepted_request", table_name="matches")
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("overrides", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.add_column(sa.Column("override_reason", sa.String(length=500), nullable=True))
        batch_op.create_check_constraint("status", sa.text(STATUSES))
        batch_op.create_check_constraint("source", sa.text(SOURCES))
    op.create_index(
        "uq_matches_accepted_request",
        "matches",
        ["newcomer_id", "programme"],
        unique=True,
        sqlite_where=sa.text(ACCEPTED),
        postgresql_where=sa.text(ACCEPTED),
    )
    op.create_index(
        "uq_matches_live_pair",
        "matches",
        ["newcomer_id", "mentor_id"],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_matches_live_pair", table_name="matches")
    op.drop_index("uq_matches_accepted_request", table_name="matches")
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_constraint("source", type_="check")
        batch_op.drop_constraint("status", type_="check")
        batch_op.drop_column("override_reason")
        batch_op.drop_column("overrides")
    op.create_index(
        "uq_matches_accepted_request",
        "matches",
        ["newcomer_id", "programme"],
        unique=True,
        sqlite_where=sa.text(ACCEPTED),
        postgresql_where=sa.text(ACCEPTED),
    )
