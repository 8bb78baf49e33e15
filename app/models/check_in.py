"""Check-ins: a coordinator's follow-up on an accepted (or ended) match."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, utcnow


class CheckInStatus(StrEnum):
    """How the pair is doing, as the coordinator learnt it."""

    MEETING = "meeting"
    PAUSED = "paused"
    NOT_STARTED = "not_started"
    ENDED = "ended"


class CheckIn(Base):
    __tablename__ = "check_ins"
    __table_args__ = (
        CheckConstraint(
            "status IN ({})".format(", ".join(repr(str(s)) for s in CheckInStatus)),
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    #: Free text the coordinator writes (plain text); part of the newcomer's export.
    note: Mapped[str | None] = mapped_column(String(1000))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The actor (a key's or account's label), as the audit log names it.
    recorded_by: Mapped[str] = mapped_column(String(200))
