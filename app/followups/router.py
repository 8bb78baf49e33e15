"""``/api/v1/matches/{id}/check-ins`` and ``/api/v1/follow-ups``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app import clock
from app.auth import AnyRole, Staff
from app.db import SessionDep
from app.domain import IsoDate
from app.errors import problem_responses
from app.followups import retention, service
from app.followups.schemas import (
    AssociationCheckInRead,
    CheckInCreate,
    CheckInRead,
    FollowUpDue,
)
from app.idempotency import Created, IdempotencyDep
from app.models import CheckIn
from app.resources import IdPath

router = APIRouter(tags=["follow-ups"])


def _created(row: CheckIn) -> Created:
    return Created(
        CheckInRead.model_validate(row), f"/api/v1/matches/{row.match_id}/check-ins/{row.id}"
    )


@router.get(
    "/matches/{match_id}/check-ins",
    response_model=list[CheckInRead] | list[AssociationCheckInRead],
    responses=problem_responses(404, 422),
)
def list_check_ins(
    match_id: IdPath, principal: AnyRole, session: SessionDep
) -> list[CheckInRead] | list[AssociationCheckInRead]:
    """A match's check-ins, oldest first. An association sees those of its mentors' matches
    without the coordinator's note (it may name the newcomer's circumstances)."""
    rows = service.list_check_ins(session, principal, match_id)
    if principal.role == "association":
        return [AssociationCheckInRead.model_validate(r) for r in rows]
    return [CheckInRead.model_validate(r) for r in rows]


@router.post(
    "/matches/{match_id}/check-ins",
    status_code=status.HTTP_201_CREATED,
    response_model=CheckInRead,
    responses=problem_responses(403, 404, 409, 410, 422),
)
def create_check_in(
    match_id: IdPath,
    body: CheckInCreate,
    principal: Staff,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> object:
    """Record a check-in on an accepted or ended match (coordinators and admins); honours
    ``Idempotency-Key``."""
    replayed = idempotency.replay(
        lambda ref: _created(service.get_check_in(session, principal, match_id, int(ref)))
    )
    if replayed is not None:
        return replayed
    row = service.record_check_in(session, principal, match_id, body)
    return idempotency.created(response, _created(row), resource=service.RESOURCE, record_id=row.id)


@router.get(
    "/matches/{match_id}/check-ins/{check_in_id}",
    response_model=CheckInRead | AssociationCheckInRead,
    responses=problem_responses(404, 422),
)
def get_check_in(
    match_id: IdPath, check_in_id: IdPath, principal: AnyRole, session: SessionDep
) -> CheckInRead | AssociationCheckInRead:
    """One check-in (an association's view without the note)."""
    row = service.get_check_in(session, principal, match_id, check_in_id)
    if principal.role == "association":
        return AssociationCheckInRead.model_validate(row)
    return CheckInRead.model_validate(row)


@router.get("/follow-ups", responses=problem_responses(403, 422))
def list_follow_ups(
    principal: Staff,
    session: SessionDep,
    due_before: Annotated[
        IsoDate | None, Query(description="The day to look from (default today, UTC)")
    ] = None,
) -> list[FollowUpDue]:
    """Accepted matches in the caller's municipalities whose latest follow-up point on or
    before ``due_before`` has passed without a check-in since."""
    return service.list_due(session, principal, due_before)


@router.get("/reports/retention", responses=problem_responses(403, 422))
def get_retention(
    request: Request,
    principal: Staff,
    session: SessionDep,
    on: Annotated[
        IsoDate | None, Query(description="The report's day (default today, UTC)")
    ] = None,
    municipality: Annotated[str | None, Query(pattern=r"^\d{3}$")] = None,
    programme: Annotated[str | None, Query(max_length=50)] = None,
) -> retention.Retention:
    """Of the accepted matches, the share still active at 3 and 6 months, and why matches
    ended, by municipality and programme (counts below the threshold are ``"<5"`` for
    coordinators, figures that would reveal them ``null``; admins see exact numbers)."""
    return retention.retention(
        session,
        principal,
        on=on or clock.today(),
        threshold=int(request.app.state.settings.report_min_count),
        municipality=municipality,
        programme=programme,
    )
