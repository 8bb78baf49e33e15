"""Queries on match runs; a coordinator sees only its municipalities' unmatched requests."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.models import MatchRun, Newcomer, RunGroupMember, RunUnmatched
from app.models.match_run import RunStatus
from app.pagination import PageParams, paginate


def get(session: Session, run_id: int) -> MatchRun | None:
    """One run."""
    return session.get(MatchRun, run_id)


def in_flight(
    session: Session,
    *,
    requested_by: int | None = None,
    account: int | None = None,
    writing: bool = False,
) -> int | None:
    """The id of a queued or running run of this key, or of this desk ``account`` (or,
    ``writing``, a writing one)."""
    query = select(MatchRun.id).where(MatchRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING)))
    if writing:
        query = query.where(MatchRun.dry_run.is_(False))
    elif account is not None:
        query = query.where(MatchRun.requested_by_account == account)
    elif requested_by is not None:
        query = query.where(MatchRun.requested_by == requested_by)
    else:
        return None
    return session.scalar(query.order_by(MatchRun.id).limit(1))


def list_page(session: Session, params: PageParams) -> tuple[Sequence[MatchRun], str | None]:
    """A page of runs, oldest first (ordered by id)."""
    return paginate(session, select(MatchRun), MatchRun.id, params)


def unmatched(session: Session, principal: Principal, run_id: int) -> Sequence[RunUnmatched]:
    """The run's unmatched requests in the caller's scope, ordered by id."""
    query = select(RunUnmatched).where(RunUnmatched.run_id == run_id)
    if principal.role != "admin":
        # Scoped on where the newcomer lives now, not where they lived at the run: a
        # newcomer who moved away is out of the old municipality's sight.
        query = query.join(Newcomer, Newcomer.id == RunUnmatched.newcomer_id).where(
            Newcomer.municipality.in_(principal.municipalities)
        )
    return session.scalars(query.order_by(RunUnmatched.id)).all()


def latest(session: Session, limit: int) -> Sequence[MatchRun]:
    """The ``limit`` newest runs, newest first."""
    return session.scalars(select(MatchRun).order_by(MatchRun.id.desc()).limit(limit)).all()


def groups(session: Session, run_id: int) -> Sequence[tuple[str, int, int, str]]:
    """The run's group participants: (programme, trainer, newcomer, their municipality), by
    programme, trainer and newcomer."""
    rows = session.execute(
        select(
            RunGroupMember.programme,
            RunGroupMember.mentor_id,
            RunGroupMember.newcomer_id,
            Newcomer.municipality,
        )
        .join(Newcomer, Newcomer.id == RunGroupMember.newcomer_id)
        .where(RunGroupMember.run_id == run_id)
        .order_by(RunGroupMember.programme, RunGroupMember.mentor_id, RunGroupMember.newcomer_id)
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]
