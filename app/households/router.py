"""``/households``: admins and coordinators (households whose contact person is theirs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session

from app.auth import Staff
from app.db import SessionDep, writes
from app.errors import problem_responses
from app.etag import set_etag
from app.households import service
from app.households.schemas import HouseholdCreate, HouseholdRead, HouseholdUpdate
from app.idempotency import Created, IdempotencyDep
from app.models import Household
from app.pagination import Page, PageParams, page_params
from app.resources import IdPath, IfMatch, MunicipalityQuery

router = APIRouter(prefix="/households", tags=["households"])
Paging = Annotated[PageParams, Depends(page_params)]


def _one(session: Session, response: Response, row: Household) -> HouseholdRead:
    set_etag(response, row.version)
    return service.read_of(session, [row])[0]


@router.get("", responses=problem_responses(403, 422))
@writes  # the read is audited
def list_households(
    principal: Staff, session: SessionDep, params: Paging, municipality: MunicipalityQuery = None
) -> Page[HouseholdRead]:
    """Households whose contact person lives in the caller's municipalities, by id."""
    rows, cursor = service.list_households(session, principal, params, municipality=municipality)
    return Page[HouseholdRead](items=service.read_of(session, rows), next_cursor=cursor)


def _created(session: Session, row: Household) -> Created:
    body = service.read_of(session, [row])[0]
    return Created(body, f"/api/v1/households/{row.id}", row.version)


@router.post(
    "",
    status_code=201,
    response_model=HouseholdRead,
    responses=problem_responses(403, 409, 410, 422),
)
def create_household(
    body: HouseholdCreate,
    principal: Staff,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> object:
    """A household of newcomers in the caller's scope; the first member is the contact person
    (409 naming the member already in another household)."""
    replayed = idempotency.replay(
        lambda ref: _created(session, service.get_household(session, principal, int(ref)))
    )
    if replayed is not None:
        return replayed
    row = service.create_household(session, principal, body)
    return idempotency.created(
        response, _created(session, row), resource=service.RESOURCE, record_id=row.id
    )


@router.get("/{household_id}", responses=problem_responses(403, 404, 422))
@writes  # the read is audited
def get_household(
    household_id: IdPath, principal: Staff, session: SessionDep, response: Response
) -> HouseholdRead:
    """One household (audited)."""
    return _one(session, response, service.get_household(session, principal, household_id))


@router.patch("/{household_id}", responses=problem_responses(403, 404, 409, 412, 422))
def update_household(
    household_id: IdPath,
    body: HouseholdUpdate,
    principal: Staff,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> HouseholdRead:
    """Add, remove or reorder members (the whole new list); honours ``If-Match``. A new first
    member becomes the contact person, and the household's live matches move to them."""
    row = service.update_household(session, principal, household_id, body, if_match)
    return _one(session, response, row)


@router.delete("/{household_id}", status_code=204, responses=problem_responses(403, 404, 409, 412))
def delete_household(
    household_id: IdPath, principal: Staff, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Dissolve a household (the newcomers stay); 409 while it has a live match."""
    service.delete_household(session, principal, household_id, if_match)
