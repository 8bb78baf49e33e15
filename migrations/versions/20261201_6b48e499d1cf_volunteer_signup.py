"""volunteer sign-up: associations' unguessable sign-up token, mentors' consent and source

Revision ID: 6b48e499d1cf
Revises: 7529e3b46073
Create Date: 2026-12-01 21:05:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "6b48e499d1cf"
down_revision: str | None = "7529e3b46073"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("associations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signup_token", sa.String(length=64), nullable=True))
    # Every existing association gets its own random token before the column is required.
    connection = op.get_bind()
    ids = connection.execute(sa.text("SELECT id FROM associations")).scalars().all()
    for association_id in ids:
        connection.execute(
            sa.text("UPDATE associations SET signup_token = :token WHERE id = :id"),
            {"token": secrets.token_urlsafe(32), "id": association_id},
        )
    # SQLite rebuilds the table for this: it keeps its AUTOINCREMENT (ids never reused).
    with op.batch_alter_table(
        "associations", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.alter_column("signup_token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_associations_signup_token"), ["signup_token"]
        )
    with op.batch_alter_table(
        "mentors", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(
            sa.Column("signup", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("consent_at", app.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table(
        "mentors", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("consent_at")
        batch_op.drop_column("signup")
    with op.batch_alter_table(
        "associations", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_associations_signup_token"), type_="unique")
        batch_op.drop_column("signup_token")
