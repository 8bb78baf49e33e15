"""Check-ins on matches and the follow-ups due.

A programme's ``follow_up_days`` (default 30 and 90) are points after a match's acceptance
(``decided_at``). A match is *due* on a day when it is accepted, its latest point on or before
that day has passed, and no check-in was recorded on or after that point. A match whose latest
check-in says ``ended`` is not due (the pair has stopped; ending the match is its own step).
Services never commit: the request does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit, clock
from app.auth import Principal
from app.errors import Conflict
from app.followups.schemas import CheckInCreate, FollowUpDue
from app.matches import repository as match_repo
from app.models import CheckIn, CheckInStatus, Match, MatchStatus, Newcomer, Programme
from app.queries import one_or_not_found

RESOURCE = "check_in"
#: Matches a check-in may be recorded on.
CHECKABLE = (MatchStatus.ACCEPTED, MatchStatus.ENDED)


def record_check_in(
    session: Session, principal: Principal, match_id: int, data: CheckInCreate
) -> CheckIn:
    """Record a check-in on a match in the caller's scope (404 outside it, 409 unless the
    match is accepted or ended)."""
    match = match_repo.get(session, principal, match_id)
    if match.status not in CHECKABLE:
        raise Conflict(f"A check-in is for an accepted or ended match, not a {match.status} one")
    row = CheckIn(
        match_id=match.id, status=data.status, note=data.note, recorded_by=principal.actor
    )
    session.add(row)
    session.flush()
    audit.record(session, principal, "create", RESOURCE, row.id)
    return row


def get_check_in(
    session: Session, principal: Principal, match_id: int, check_in_id: int
) -> CheckIn:
    """One check-in of a match in the caller's scope, else 404."""
    match = match_repo.get(session, principal, match_id)
    query = select(CheckIn).where(CheckIn.id == check_in_id, CheckIn.match_id == match.id)
    row: CheckIn = one_or_not_found(session, query, missing=f"Check-in {check_in_id} not found")
    return row


def list_check_ins(session: Session, principal: Principal, match_id: int) -> Sequence[CheckIn]:
    """A match's check-ins, oldest first (404 when the match is outside the caller's scope)."""
    match = match_repo.get(session, principal, match_id)
    return session.scalars(
        select(CheckIn).where(CheckIn.match_id == match.id).order_by(CheckIn.id)
    ).all()


def due_follow_ups(
    session: Session, today: date, *, municipalities: Collection[str] | None = None
) -> list[FollowUpDue]:
    """Accepted matches with a follow-up due on ``today``, by match id.

    ``municipalities`` narrows to newcomers living there (``None``: every municipality). The
    one place of the rule; the API's list and a reminder sender call it alike.
    """
    last = (
        select(CheckIn.match_id, func.max(CheckIn.id).label("last_id"))
        .group_by(CheckIn.match_id)
        .subquery()
    )
    query = (
        select(Match, Newcomer.municipality, Programme.follow_up_days, CheckIn)
        .join(Newcomer, Newcomer.id == Match.newcomer_id)
        .join(Programme, Programme.code == Match.programme)
        .outerjoin(last, last.c.match_id == Match.id)
        .outerjoin(CheckIn, CheckIn.id == last.c.last_id)
        .where(Match.status == MatchStatus.ACCEPTED, Match.decided_at.is_not(None))
        .order_by(Match.id)
    )
    if municipalities is not None:
        query = query.where(Newcomer.municipality.in_(list(municipalities)))
    due: list[FollowUpDue] = []
    for match, municipality, days, last_check_in in session.execute(query):
        accepted_on = match.decided_at.date()  # type: ignore[union-attr]
        passed = [d for d in days or () if accepted_on + timedelta(days=d) <= today]
        if not passed:
            continue
        point = accepted_on + timedelta(days=passed[-1])
        last_on = last_check_in.recorded_at.date() if last_check_in is not None else None
        if last_check_in is not None and last_check_in.status == CheckInStatus.ENDED:
            continue
        if last_on is not None and last_on >= point:
            continue
        due.append(
            FollowUpDue(
                match_id=match.id,
                programme=match.programme,
                municipality=municipality,
                newcomer_id=match.newcomer_id,
                mentor_id=match.mentor_id,
                accepted_on=accepted_on,
                due_on=point,
                days_after=passed[-1],
                last_check_in_on=last_on,
            )
        )
    return due


def list_due(session: Session, principal: Principal, due_before: date | None) -> list[FollowUpDue]:
    """The follow-ups due on ``due_before`` (default today) in the caller's municipalities."""
    scope = principal.municipalities if principal.role == "coordinator" else None
    return due_follow_ups(session, due_before or clock.today(), municipalities=scope)
