"""``/programmes``: every role reads them; admins add and change them (no delete: deactivate)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from app.auth import AdminOnly, AnyRole
from app.db import SessionDep
from app.errors import problem_responses
from app.idempotency import IdempotencyDep
from app.pagination import Page, PageParams, page_params
from app.programmes import service
from app.programmes.schemas import ProgrammeCreate, ProgrammeRead, ProgrammeUpdate
from app.resources import IfMatch, created, one, page

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


@router.post(
    "", status_code=201, response_model=ProgrammeRead, responses=problem_responses(403, 409, 422)
)
def create_programme(
    body: ProgrammeCreate,
    principal: AdminOnly,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> object:
    """Add a programme (admin)."""
    if (replayed := idempotency.replay()) is not None:
        return replayed
    row = service.create_programme(session, principal, body)
    return created(
        response,
        idempotency,
        ProgrammeRead.model_validate(row),
        location=f"/api/v1/programmes/{row.code}",
        version=row.version,
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
