"""A spreadsheet import's preview, kept server-side until it is committed or expires."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, utcnow


class SpreadsheetImport(Base):
    __tablename__ = "spreadsheet_imports"
    __table_args__ = (CheckConstraint("kind IN ('newcomers', 'mentors')", name="kind"),)

    #: A random token: the preview id the uploader commits by (not an integer id: nothing to
    #: autoincrement).
    token: Mapped[str] = mapped_column(String(43), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: The uploader (``Principal.actor``): nobody else sees or commits the preview.
    owner: Mapped[str] = mapped_column(String(200))
    #: A mentors' import's association: the uploader's own, or the one an admin named; the
    #: commit checks it again (no foreign key: a deleted one is the commit's 422, and deleting
    #: an association never waits on a preview).
    association_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    #: The rows as API bodies (personal data): emptied when committed, deleted when expired.
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    row_count: Mapped[int]
    committed_at: Mapped[datetime | None]
    created_ids: Mapped[list[int] | None] = mapped_column(JSON)
