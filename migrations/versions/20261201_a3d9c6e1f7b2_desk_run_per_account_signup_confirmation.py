"""desk: one run in flight per account (match_runs.requested_by_account); volunteers confirm
their e-mail (mentors.signup_confirmed_at, signup_token_hash); sign-ups approved once
(mentors.signup_approved_at); the sign-ups awaiting approval, and a municipality's newcomers
by id, indexed

Revision ID: a3d9c6e1f7b2
Revises: 5f0c1a9e7d24
Create Date: 2026-12-01 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "a3d9c6e1f7b2"
down_revision: str | None = "5f0c1a9e7d24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_FLIGHT = "status IN ('queued', 'running')"
PENDING = "signup AND signup_approved_at IS NULL"


def upgrade() -> None:
    # SQLite rebuilds the tables for these: they keep their AUTOINCREMENT (ids never reused).
    with op.batch_alter_table(
        "match_runs", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(sa.Column("requested_by_account", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_match_runs_requested_by_account_accounts"),
            "accounts",
            ["requested_by_account"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "uq_match_runs_in_flight_per_account",
            ["requested_by_account"],
            unique=True,
            sqlite_where=sa.text(IN_FLIGHT),
            postgresql_where=sa.text(IN_FLIGHT),
        )
    with op.batch_alter_table(
        "mentors", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(
            sa.Column("signup_confirmed_at", app.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("signup_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("signup_approved_at", app.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_mentors_signup_token_hash"), ["signup_token_hash"]
        )
        batch_op.create_index(
            "ix_mentors_pending_signups",
            ["association_id", "id"],
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )
    op.create_index("ix_newcomers_municipality_id", "newcomers", ["municipality", "id"])
    op.drop_index("ix_newcomers_municipality", table_name="newcomers")
    # The sign-ups made before confirmation existed were shown to their association already;
    # an active one was approved (as the approval left no date, its last change stands for it).
    op.execute("UPDATE mentors SET signup_confirmed_at = consent_at WHERE signup")
    op.execute("UPDATE mentors SET signup_approved_at = updated_at WHERE signup AND active")


def downgrade() -> None:
    op.create_index("ix_newcomers_municipality", "newcomers", ["municipality"])
    op.drop_index("ix_newcomers_municipality_id", table_name="newcomers")
    with op.batch_alter_table(
        "mentors", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_index("ix_mentors_pending_signups")
        batch_op.drop_constraint(batch_op.f("uq_mentors_signup_token_hash"), type_="unique")
        batch_op.drop_column("signup_approved_at")
        batch_op.drop_column("signup_token_hash")
        batch_op.drop_column("signup_confirmed_at")
    with op.batch_alter_table(
        "match_runs", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_index("uq_match_runs_in_flight_per_account")
        batch_op.drop_constraint(
            batch_op.f("fk_match_runs_requested_by_account_accounts"), type_="foreignkey"
        )
        batch_op.drop_column("requested_by_account")
