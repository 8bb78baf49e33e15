"""``/programmes``: every role reads them; admins add and change them (no delete: deactivate)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from app.auth import AdminOnly, AnyRole
from app.db import SessionDep
from app.errors import problem_responses
from app.idempotency import Created, IdempotencyDep
from app.models import Programme
from app.pagination import Page, PageParams, page_params
from app.programmes import service
from app.programmes.schemas import ProgrammeCreate, ProgrammeRead, ProgrammeUpdate
from app.resources import IfMatch, one, page

router = APIRouter(prefix="/programmes", tags=["programmes"])
Paging = Annotated[PageParams, Depends(page_params)]
CodePath = Annotated[str, Path(max_length=50, pattern=r"^[a-z][a-z0-9_]{1,49}$")]


@router.get("", responses=problem_responses(422))
def list_programmes(
    principal: AnyRole,
    session: SessionDep,
    params: Paging,
    active: Annotated[bool | None, Query(description="Only active (or inactive) ones")] = None,
) -> Page[ProgrammeRead]:
    """Programmes, by code."""
    return page(ProgrammeRead, *service.list_programmes(session, params, active))


def _created(row: Programme) -> Created:
    return Created(ProgrammeRead.model_validate(row), f"/api/v1/programmes/{row.code}", row.version)


@router.post(
    "",
    status_code=201,
    response_model=ProgrammeRead,
    responses=problem_responses(403, 409, 410, 422),
)
def create_programme(
    body: ProgrammeCreate,
    principal: AdminOnly,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> object:
    """Add a programme (admin)."""
    replayed = idempotency.replay(lambda ref: _created(service.get_programme(session, ref)))
    if replayed is not None:
        return replayed
    row = service.create_programme(session, principal, body)
    return idempotency.created(
        response, _created(row), resource=service.RESOURCE, record_id=row.code
    )


@router.get("/{code}", responses=problem_responses(404, 422))
def get_programme(
    code: CodePath, principal: AnyRole, session: SessionDep, response: Response
) -> ProgrammeRead:
    """One programme."""
    return one(response, ProgrammeRead, service.get_programme(session, code))


@router.patch("/{code}", responses=problem_responses(403, 404, 412, 422))
def update_programme(
    code: CodePath,
    body: ProgrammeUpdate,
    principal: AdminOnly,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ProgrammeRead:
    """Change a programme (admin); honours ``If-Match``. Set `active` false to retire one."""
    row = service.update_programme(session, principal, code, body, if_match)
    return one(response, ProgrammeRead, row)
