"""Matches: a newcomer's request paired with a mentor, and its decision trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.models._mixins import Timestamped


class Match(Timestamped, Base):
    __tablename__ = "matches"
    __table_args__ = (
        Index("ix_matches_mentor_status", "mentor_id", "status"),
        Index("ix_matches_newcomer_status", "newcomer_id", "status"),
        Index("ix_matches_status", "status"),
        # At most one accepted match per request (newcomer, programme).
        Index(
            "uq_matches_accepted_request",
            "newcomer_id",
            "programme",
            unique=True,
            sqlite_where=text("status = 'accepted'"),
            postgresql_where=text("status = 'accepted'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentors.id", ondelete="CASCADE"))
    programme: Mapped[str] = mapped_column(ForeignKey("programmes.code"))
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float | None]
    components: Mapped[dict[str, Any] | None]
    distance_km: Mapped[float | None]
    source: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("match_runs.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str | None] = mapped_column(String(500))
    decided_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
