"""Audit log: who did what to which record, when. Never the personal data itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: The API key that acted (None for the CLI and the nightly job).
    actor_key_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(30))
    resource: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[str] = mapped_column(String(50))
    request_id: Mapped[str | None] = mapped_column(String(64))
