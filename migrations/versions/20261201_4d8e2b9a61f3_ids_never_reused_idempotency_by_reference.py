"""ids are never reused (SQLite AUTOINCREMENT); idempotency keys reference their record

Revision ID: 4d8e2b9a61f3
Revises: 9168cba04c66
Create Date: 2026-12-01 19:50:00

SQLite gives the highest freed rowid to the next row unless a table is ``AUTOINCREMENT``,
which only a rebuild can add (batch mode; ``migrations/env.py`` turns foreign keys off for
it). Each rebuilt table's counter starts above every id the audit log has ever named, so an
id erased before this migration is not handed out either. PostgreSQL's sequences never
reuse a value: nothing to do there.

``idempotency_records`` keeps a reference (``resource``, ``record_id``) instead of a copy of
the answer; stored answers are converted, those that name no record are dropped.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "4d8e2b9a61f3"
down_revision: str | None = "9168cba04c66"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Tables with integer ids, and the audit resource names their ids appear under.
ID_TABLES: dict[str, tuple[str, ...]] = {
    "associations": ("association", "associations"),
    "audit_events": (),
    "idempotency_records": (),
    "match_runs": ("match_run",),
    "newcomers": ("newcomer", "newcomers"),
    "api_keys": ("api_key",),
    "mentors": ("mentor", "mentors"),
    "run_unmatched": (),
    "matches": ("match", "matches"),
}

#: The collection a stored answer was created in -> the audit resource name.
RESOURCES = {
    "newcomers": "newcomer",
    "mentors": "mentor",
    "associations": "association",
    "programmes": "programme",
    "matches": "match",
    "api-keys": "api_key",
    "match-runs": "match_run",
}

_old_records = sa.table(
    "idempotency_records",
    sa.column("id", sa.Integer),
    sa.column("path", sa.String),
    sa.column("response_body", sa.JSON),
    sa.column("resource", sa.String),
    sa.column("record_id", sa.String),
)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _reference(path: str, body: Any) -> tuple[str, str] | None:
    resource = RESOURCES.get(path.rstrip("/").rsplit("/", 1)[-1])
    if resource is None or not isinstance(body, dict):
        return None
    record_id = body.get("code" if resource == "programme" else "id")
    return None if record_id is None else (resource, str(record_id))


def _convert_stored_answers() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_old_records.c.id, _old_records.c.path, _old_records.c.response_body)
    )
    for row_id, path, body in rows.all():
        reference = _reference(path, body)
        if reference is None:
            bind.execute(sa.delete(_old_records).where(_old_records.c.id == row_id))
        else:
            bind.execute(
                sa.update(_old_records)
                .where(_old_records.c.id == row_id)
                .values(resource=reference[0], record_id=reference[1])
            )


def _start_counter_above_every_known_id(table: str, resources: tuple[str, ...]) -> None:
    bind = op.get_bind()
    highest = bind.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar() or 0
    if resources:
        names = ", ".join(f"'{name}'" for name in resources)
        audited = bind.execute(
            sa.text(
                "SELECT max(CAST(record_id AS INTEGER)) FROM audit_events "
                f"WHERE resource IN ({names}) AND record_id GLOB '[0-9]*'"
            )
        ).scalar()
        highest = max(highest, audited or 0)
    bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
    if highest:
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :s)"),
            {"t": table, "s": highest},
        )


def upgrade() -> None:
    with op.batch_alter_table("idempotency_records") as batch_op:
        batch_op.add_column(sa.Column("resource", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("record_id", sa.String(length=50), nullable=True))
    _convert_stored_answers()
    sqlite = _is_sqlite()
    with op.batch_alter_table(
        "idempotency_records",
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as batch_op:
        batch_op.alter_column("resource", existing_type=sa.String(length=30), nullable=False)
        batch_op.alter_column("record_id", existing_type=sa.String(length=50), nullable=False)
        batch_op.alter_column("request_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.drop_column("status_code")
        batch_op.drop_column("response_body")
        batch_op.drop_column("headers")
        batch_op.create_index(
            "ix_idempotency_records_resource_record", ["resource", "record_id"], unique=False
        )
    if not sqlite:
        return
    for table, resources in ID_TABLES.items():
        if table != "idempotency_records":
            with op.batch_alter_table(
                table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
            ):
                pass
        _start_counter_above_every_known_id(table, resources)


def downgrade() -> None:
    sqlite = _is_sqlite()
    if sqlite:
        for table in ID_TABLES:
            if table != "idempotency_records":
                with op.batch_alter_table(table, recreate="always"):
                    pass
    # A reference cannot be turned back into a copy of the answer: the keys are forgotten.
    op.execute(sa.delete(_old_records))
    with op.batch_alter_table(
        "idempotency_records", recreate="always" if sqlite else "auto"
    ) as batch_op:
        batch_op.drop_index("ix_idempotency_records_resource_record")
        batch_op.add_column(sa.Column("status_code", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("response_body", sa.JSON(), nullable=False))
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=False))
        batch_op.alter_column("request_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("record_id")
        batch_op.drop_column("resource")
