"""households and groups: households, household_members, matches.household_id,
programmes.unit/group_min/group_max, run_group_members, run_unmatched.group_shortfall

Revision ID: a7c3e9d51b20
Revises: a3d9c6e1f7b2
Create Date: 2026-12-01 22:40:00

The seeds follow the matching contract: ``network_family`` is a household programme,
``mindspring`` a group programme of 6 to 10 participants.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "a7c3e9d51b20"
down_revision: str | None = "a3d9c6e1f7b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIT = "unit IN ('person', 'household', 'group')"
GROUP_SIZE = (
    "(unit = 'group' AND group_min IS NOT NULL AND group_max IS NOT NULL "
    "AND group_min >= 1 AND group_min <= group_max) "
    "OR (unit <> 'group' AND group_min IS NULL AND group_max IS NULL)"
)
LIVE = "status IN ('proposed', 'accepted')"
ACCEPTED = "status = 'accepted'"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _drop_partial_indexes() -> None:
    # SQLite's rebuild of ``matches`` would copy the partial indexes without their WHERE.
    op.drop_index("uq_matches_live_pair", table_name="matches")
    op.drop_index("uq_matches_accepted_request", table_name="matches")


def _create_partial_indexes() -> None:
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


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sqlite_autoincrement=True,  # ids are never reused
    )
    op.create_table(
        "household_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("newcomer_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_members_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["newcomer_id"],
            ["newcomers.id"],
            name=op.f("fk_household_members_newcomer_id_newcomers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_members")),
        sa.UniqueConstraint("newcomer_id", name=op.f("uq_household_members_newcomer_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("household_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_household_members_household_id"), ["household_id"], unique=False
        )
    op.create_table(
        "run_group_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=50), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("newcomer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["mentors.id"],
            name=op.f("fk_run_group_members_mentor_id_mentors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["newcomer_id"],
            ["newcomers.id"],
            name=op.f("fk_run_group_members_newcomer_id_newcomers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["match_runs.id"],
            name=op.f("fk_run_group_members_run_id_match_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_group_members")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("run_group_members", schema=None) as batch_op:
        for column in ("mentor_id", "newcomer_id", "run_id"):
            batch_op.create_index(
                batch_op.f(f"ix_run_group_members_{column}"), [column], unique=False
            )

    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unit", sa.String(length=20), server_default="person", nullable=False)
        )
        batch_op.add_column(sa.Column("group_min", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("group_max", sa.Integer(), nullable=True))
    op.execute("UPDATE programmes SET unit = 'household' WHERE code = 'network_family'")
    op.execute(
        "UPDATE programmes SET unit = 'group', group_min = 6, group_max = 10 "
        "WHERE code = 'mindspring'"
    )
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.create_check_constraint("unit", sa.text(UNIT))
        batch_op.create_check_constraint("group_size", sa.text(GROUP_SIZE))

    with op.batch_alter_table("run_unmatched", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_shortfall", sa.JSON(), nullable=True))

    _drop_partial_indexes()
    with op.batch_alter_table(
        "matches",
        schema=None,
        recreate="always" if _sqlite() else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:
        batch_op.add_column(sa.Column("household_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_matches_household_id"), ["household_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_matches_household_id_households"),
            "households",
            ["household_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _create_partial_indexes()


def downgrade() -> None:
    _drop_partial_indexes()
    with op.batch_alter_table(
        "matches",
        schema=None,
        recreate="always" if _sqlite() else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_matches_household_id_households"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_matches_household_id"))
        batch_op.drop_column("household_id")
    _create_partial_indexes()
    with op.batch_alter_table(
        "run_unmatched",
        schema=None,
        recreate="always" if _sqlite() else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:
        batch_op.drop_column("group_shortfall")
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.drop_constraint("group_size", type_="check")
        batch_op.drop_constraint("unit", type_="check")
        batch_op.drop_column("group_max")
        batch_op.drop_column("group_min")
        batch_op.drop_column("unit")
    with op.batch_alter_table("run_group_members", schema=None) as batch_op:
        for column in ("run_id", "newcomer_id", "mentor_id"):
            batch_op.drop_index(batch_op.f(f"ix_run_group_members_{column}"))
    op.drop_table("run_group_members")
    with op.batch_alter_table("household_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_members_household_id"))
    op.drop_table("household_members")
    op.drop_table("households")
