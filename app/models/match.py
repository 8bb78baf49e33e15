"""Matches: a newcomer's request paired with a mentor, and its decision trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base
from app.models._mixins import Timestamped


class MatchStatus(StrEnum):
    """A match's status: ``proposed`` → ``accepted`` | ``rejected`` | ``superseded``;
    ``accepted`` → ``ended``. The one vocabulary of the code, the API and the CHECK."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ENDED = "ended"
    SUPERSEDED = "superseded"


class MatchSource(StrEnum):
    """Who proposed a match: a run of the solver, or a coordinator by hand."""

    SOLVER = "solver"
    MANUAL = "manual"


#: A proposal or an accepted match: the pair is in play (never two such rows per pair).
LIVE_STATUSES: tuple[MatchStatus, ...] = (MatchStatus.PROPOSED, MatchStatus.ACCEPTED)


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


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
        # At most one live (proposed or accepted) match per pair, over all programmes: a
        # newcomer never gets the same mentor twice, and a proposal is never duplicated.
        Index(
            "uq_matches_live_pair",
            "newcomer_id",
            "mentor_id",
            unique=True,
            sqlite_where=text("status IN ('proposed', 'accepted')"),
            postgresql_where=text("status IN ('proposed', 'accepted')"),
        ),
        CheckConstraint(_one_of("status", MatchStatus), name="status"),
        CheckConstraint(_one_of("source", MatchSource), name="source"),
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
    #: The household whose request this is (``newcomer_id`` is then its contact person).
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str | None] = mapped_column(String(500))
    #: The hard rules a coordinator overrode for a manual proposal (rule names), and why.
    overrides: Mapped[list[str]] = mapped_column(default=list, server_default=text("'[]'"))
    override_reason: Mapped[str | None] = mapped_column(String(500))
    decided_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
