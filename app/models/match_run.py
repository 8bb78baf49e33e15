"""Runs of the solver over the stored data, and the requests each left unmatched.

A run asked for through the API is a queue entry first: ``queued`` → ``running`` (with its
``phase``: read, solve, write) → ``succeeded`` | ``failed``. The nightly ``makker rematch``
writes its row only with its outcome. ``requested_by`` is the API key that asked and
``requested_by_account`` the desk account (both ``None`` for the nightly job); a key, and an
account, has at most one run in flight, and at most one writing run is in flight at all
(partial unique indexes).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, utcnow


class RunStatus(StrEnum):
    """Where a run is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RunPhase(StrEnum):
    """What a running run is doing."""

    READ = "read"
    SOLVE = "solve"
    WRITE = "write"


_IN_FLIGHT = "status IN ('queued', 'running')"


class MatchRun(Base):
    __tablename__ = "match_runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name="status_known"
        ),
        Index("ix_match_runs_status", "status"),
        # One run in flight per key: a coordinator cannot queue dry runs back to back.
        Index(
            "uq_match_runs_in_flight_per_key",
            "requested_by",
            unique=True,
            sqlite_where=text(_IN_FLIGHT),
            postgresql_where=text(_IN_FLIGHT),
        ),
        # And one per desk account: a person cannot queue dry runs back to back either.
        Index(
            "uq_match_runs_in_flight_per_account",
            "requested_by_account",
            unique=True,
            sqlite_where=text(_IN_FLIGHT),
            postgresql_where=text(_IN_FLIGHT),
        ),
        # One writing run in flight: a second would find nothing left to do.
        Index(
            "uq_match_runs_one_writing_in_flight",
            "dry_run",
            unique=True,
            sqlite_where=text(f"NOT dry_run AND {_IN_FLIGHT}"),
            postgresql_where=text(f"NOT dry_run AND {_IN_FLIGHT}"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    phase: Mapped[str | None] = mapped_column(String(20))
    dry_run: Mapped[bool] = mapped_column(default=False)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    #: The desk account that asked (a run started on the desk's runs page).
    requested_by_account: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(String(2000))
    #: A dry run's unmatched rows were pruned (only the latest few dry runs keep theirs).
    details_pruned: Mapped[bool] = mapped_column(default=False)


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
    #: For ``group_size``: the most participants a candidate trainer could have had
    #: (``waiting``) and the programme's ``group_min``.
    group_shortfall: Mapped[dict[str, Any] | None]


class RunGroupMember(Base):
    """One participant of a trainer's group in a run's solution (erased with either person)."""

    __tablename__ = "run_group_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id", ondelete="CASCADE"), index=True)
    programme: Mapped[str] = mapped_column(String(50))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("mentors.id", ondelete="CASCADE"), index=True)
    newcomer_id: Mapped[int] = mapped_column(
        ForeignKey("newcomers.id", ondelete="CASCADE"), index=True
    )
