"""notification outbox; associations' and accounts' language, associations' webhook

Revision ID: 7529e3b46073
Revises: 0b44e3d6bc0a
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "7529e3b46073"
down_revision: str | None = "0b44e3d6bc0a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFERENCES = (
    ("match_id", "matches"),
    ("newcomer_id", "newcomers"),
    ("mentor_id", "mentors"),
    ("association_id", "associations"),
    ("account_id", "accounts"),
)


def upgrade() -> None:
    with op.batch_alter_table("associations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=2), server_default="da", nullable=False)
        )
        batch_op.add_column(sa.Column("webhook_url", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("webhook_secret", sa.String(length=200), nullable=True))
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=2), server_default="da", nullable=False)
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=2000), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        *(sa.Column(column, sa.Integer(), nullable=True) for column, _ in _REFERENCES),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')",
            name=op.f("ck_notifications_status_known"),
        ),
        sa.CheckConstraint(
            "channel IN ('email', 'webhook')", name=op.f("ck_notifications_channel_known")
        ),
        *(
            sa.ForeignKeyConstraint(
                [column],
                [f"{table}.id"],
                name=op.f(f"fk_notifications_{column}_{table}"),
                ondelete="CASCADE",
            )
            for column, table in _REFERENCES
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
        sqlite_autoincrement=True,  # ids are never reused
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )
        for column, _ in _REFERENCES:
            batch_op.create_index(batch_op.f(f"ix_notifications_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        for column, _ in _REFERENCES:
            batch_op.drop_index(batch_op.f(f"ix_notifications_{column}"))
        batch_op.drop_index("ix_notifications_status_next_attempt_at")
    op.drop_table("notifications")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("associations", schema=None) as batch_op:
        batch_op.drop_column("webhook_secret")
        batch_op.drop_column("webhook_url")
        batch_op.drop_column("language")
