"""``/mentors``: admins and association keys (their own association's mentors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth import Principal, allow
from app.db import SessionDep
from app.domain import MAX_ID
from app.errors import problem_responses
from app.gdpr.service import checkpoint_after_erasure
from app.idempotency import Created, IdempotencyDep
from app.mentors import service
from app.mentors.schemas import MentorCreate, MentorRead, MentorUpdate
from app.models import Mentor
from app.pagination import Page, PageParams, page_params
from app.resources import IdPath, IfMatch, MunicipalityQuery, one, page

router = APIRouter(prefix="/mentors", tags=["mentors"])
Paging = Annotated[PageParams, Depends(page_params)]
#: Coordinators do not read mentors' records; they see candidates through suggestions/matches.
MentorRole = Annotated[Principal, Depends(allow("admin", "association"))]


@router.get("", responses=problem_responses(403, 422))
def list_mentors(
    principal: MentorRole,
    session: SessionDep,
    params: Paging,
    association_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    municipality: MunicipalityQuery = None,
    active: bool | None = None,
) -> Page[MentorRead]:
    """Mentors in the caller's scope, by id, optionally filtered."""
    rows, cursor = service.list_mentors(
        session,
        principal,
        params,
        association_id=association_id,
        municipality=municipality,
        active=active,
    )
    return page(MentorRead, rows, cursor)


def _created(row: Mentor) -> Created:
    return Created(MentorRead.model_validate(row), f"/api/v1/mentors/{row.id}", row.version)


@router.post(
    "", status_code=201, response_model=MentorRead, responses=problem_responses(403, 410, 422)
)
def create_mentor(
    body: MentorCreate,
    principal: MentorRole,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> object:
    """Register a mentor; an association key's mentors belong to its association."""
    replayed = idempotency.replay(
        lambda ref: _created(service.get_mentor(session, principal, int(ref)))
    )
    if replayed is not None:
        return replayed
    row = service.create_mentor(session, principal, body)
    return idempotency.created(response, _created(row), resource=service.RESOURCE, record_id=row.id)


@router.get("/{mentor_id}", responses=problem_responses(403, 404, 422))
def get_mentor(
    mentor_id: IdPath, principal: MentorRole, session: SessionDep, response: Response
) -> MentorRead:
    """One mentor."""
    return one(response, MentorRead, service.get_mentor(session, principal, mentor_id))


@router.patch("/{mentor_id}", responses=problem_responses(403, 404, 412, 422))
def update_mentor(
    mentor_id: IdPath,
    body: MentorUpdate,
    principal: MentorRole,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> MentorRead:
    """Change a mentor; honours ``If-Match``."""
    row = service.update_mentor(session, principal, mentor_id, body, if_match)
    return one(response, MentorRead, row)


@router.delete("/{mentor_id}", status_code=204, responses=problem_responses(403, 404, 412, 422))
def delete_mentor(
    mentor_id: IdPath,
    principal: MentorRole,
    session: SessionDep,
    request: Request,
    if_match: IfMatch = None,
) -> None:
    """Delete a mentor and the mentor's matches."""
    service.delete_mentor(session, principal, mentor_id, if_match)
    session.commit()
    checkpoint_after_erasure(request.app.state.engine)
