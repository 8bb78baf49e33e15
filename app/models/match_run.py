"""Runs of the solver over the stored data, and the requests each left unmatched."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class MatchRun(Base):
    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    dry_run: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(String(2000))


class RunUnmatched(Base):
    """One unmatched request of a run; erased with its newcomer (the run keeps counts)."""

    __tablename__ = "run_unmatched"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id", ondelete="CASCADE"), index=True)
    newcomer_id: Mapped[int] = mapped_column(
        ForeignKey("newcomers.id", ondelete="CASCADE"), index=True
    )
    programme: Mapped[str] = mapped_column(String(50))
    municipality: Mapped[str] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(20))
    passed: Mapped[dict[str, Any]]
