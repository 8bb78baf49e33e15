"""Queries behind the reports: plain rows, aggregated in Python (portable across databases)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from app.models import Match, MatchRun, Newcomer, Programme, RunUnmatched
from app.models.match import LIVE_STATUSES


def active_programmes(session: Session) -> frozenset[str]:
    """Codes of the programmes currently offered (requests for retired ones are not counted)."""
    return frozenset(session.scalars(select(Programme.code).where(Programme.active.is_(True))))


def active_requests(
    session: Session, municipalities: Sequence[str] | None
) -> Sequence[Row[int, str, list[str], datetime]]:
    """``(id, municipality, programmes, registered_at)`` of active newcomers in scope."""
    query = select(
        Newcomer.id, Newcomer.municipality, Newcomer.programmes, Newcomer.registered_at
    ).where(Newcomer.active.is_(True))
    if municipalities is not None:
        query = query.where(Newcomer.municipality.in_(municipalities))
    return session.execute(query.order_by(Newcomer.id)).all()


def open_matches(
    session: Session, municipalities: Sequence[str] | None
) -> Sequence[Row[int, str, str]]:
    """``(newcomer_id, programme, status)`` of accepted and proposed matches in scope."""
    query = (
        select(Match.newcomer_id, Match.programme, Match.status)
        .join(Newcomer, Newcomer.id == Match.newcomer_id)
        .where(Newcomer.active.is_(True), Match.status.in_(LIVE_STATUSES))
    )
    if municipalities is not None:
        query = query.where(Newcomer.municipality.in_(municipalities))
    return session.execute(query).all()


def latest_applied_run(session: Session) -> MatchRun | None:
    """The newest succeeded run that was not a dry run."""
    return session.scalar(
        select(MatchRun)
        .where(MatchRun.status == "succeeded", MatchRun.dry_run.is_(False))
        .order_by(MatchRun.id.desc())
        .limit(1)
    )


def run_by_id(session: Session, run_id: int) -> MatchRun | None:
    """A run by id."""
    return session.get(MatchRun, run_id)


def shortage_groups(
    session: Session,
    run_id: int,
    municipalities: Sequence[str] | None,
    programme: str | None,
) -> Sequence[Row[str, str, str, str, int]]:
    """``(municipality, language, programme, reason, count)`` of a run's unmatched requests."""
    count = func.count(RunUnmatched.id)
    query = (
        select(
            RunUnmatched.municipality,
            RunUnmatched.language,
            RunUnmatched.programme,
            RunUnmatched.reason,
            count,
        )
        .where(RunUnmatched.run_id == run_id)
        .group_by(
            RunUnmatched.municipality,
            RunUnmatched.language,
            RunUnmatched.programme,
            RunUnmatched.reason,
        )
    )
    if municipalities is not None:
        query = query.where(RunUnmatched.municipality.in_(municipalities))
    if programme is not None:
        query = query.where(RunUnmatched.programme == programme)
    return session.execute(query).all()


def group_programmes(session: Session) -> dict[str, int]:
    """``group_min`` of each group programme, by code."""
    rows = session.execute(
        select(Programme.code, Programme.group_min).where(Programme.unit == "group")
    )
    return {code: int(least) for code, least in rows if least is not None}


def group_shortage_details(
    session: Session,
    run_id: int,
    municipalities: Sequence[str] | None,
    programmes: Collection[str],
) -> Sequence[Row[str, str, str, str, dict[str, Any], dict[str, Any] | None]]:
    """``(municipality, language, programme, reason, passed, group_shortfall)`` of a run's
    unmatched requests in the group ``programmes``."""
    if not programmes:
        return []
    query = select(
        RunUnmatched.municipality,
        RunUnmatched.language,
        RunUnmatched.programme,
        RunUnmatched.reason,
        RunUnmatched.passed,
        RunUnmatched.group_shortfall,
    ).where(RunUnmatched.run_id == run_id, RunUnmatched.programme.in_(sorted(programmes)))
    if municipalities is not None:
        query = query.where(RunUnmatched.municipality.in_(municipalities))
    return session.execute(query.order_by(RunUnmatched.id)).all()
