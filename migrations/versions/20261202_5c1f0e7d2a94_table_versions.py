"""table_versions: a token the database changes with every write to mentors

Revision ID: 5c1f0e7d2a94
Revises: 3e8b71c0d5a2
Create Date: 2026-12-02 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

#: The tables whose writes change their token (app.models.table_version).
WATCHED = ("mentors",)
EVENTS = ("INSERT", "UPDATE", "DELETE")

#: A new random token for the table the statement writes.
POSTGRESQL_FUNCTION = """
CREATE FUNCTION mark_table_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO table_versions (table_name, token)
    VALUES (TG_TABLE_NAME, (random() * 9.2e18)::bigint)
    ON CONFLICT (table_name) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END
$$
"""

revision: str = "5c1f0e7d2a94"
down_revision: str | None = "3e8b71c0d5a2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "table_versions",
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_table_versions")),
    )
    if _sqlite():
        # No statement triggers on SQLite: one per row (its writers take turns anyway).
        for table in WATCHED:
            for event in EVENTS:
                op.execute(
                    f"CREATE TRIGGER {table}_{event.lower()}d AFTER {event} ON {table} BEGIN "
                    f"INSERT INTO table_versions (table_name, token) VALUES ('{table}', random()) "
                    "ON CONFLICT (table_name) DO UPDATE SET token = excluded.token; END"
                )
    else:
        # Before the statement: a writer locks the token's row before any row of the table.
        op.execute(POSTGRESQL_FUNCTION)
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_changed BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION mark_table_changed()"
            )
    for table in WATCHED:
        op.execute(
            sa.text("INSERT INTO table_versions (table_name, token) VALUES (:table, 1)").bindparams(
                table=table
            )
        )


def downgrade() -> None:
    for table in WATCHED:
        if _sqlite():
            for event in EVENTS:
                op.execute(f"DROP TRIGGER {table}_{event.lower()}d")
        else:
            op.execute(f"DROP TRIGGER {table}_changed ON {table}")
    if not _sqlite():
        op.execute("DROP FUNCTION mark_table_changed()")
    op.drop_table("table_versions")
