"""spreadsheet_imports.association_id: the association a mentors' import is for

Revision ID: 3e8b71c0d5a2
Revises: a7c3e9d51b20
Create Date: 2026-12-02 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3e8b71c0d5a2"
down_revision: str | None = "a7c3e9d51b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("spreadsheet_imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("association_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("spreadsheet_imports", schema=None) as batch_op:
        batch_op.drop_column("association_id")
