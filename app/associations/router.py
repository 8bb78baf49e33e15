"""``/associations``: admins manage them; coordinators read them; an association reads itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.associations import service
from app.associations.schemas import AssociationCreate, AssociationRead, AssociationUpdate
from app.auth import AdminOnly, AnyRole
from app.db import SessionDep
from app.errors import problem_responses
from app.idempotency import Created, IdempotencyDep
from app.models import Association
from app.pagination import Page, PageParams, page_params
from app.resources import IdPath, IfMatch, one, page

router = APIRouter(prefix="/associations", tags=["associations"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("", responses=problem_responses(422))
def list_associations(
    principal: AnyRole, session: SessionDep, params: Paging
) -> Page[AssociationRead]:
    """Associations in the caller's scope, by id."""
    return page(AssociationRead, *service.list_associations(session, principal, params))


def _created(row: Association) -> Created:
    location = f"/api/v1/associations/{row.id}"
    return Created(AssociationRead.model_validate(row), location, row.version)


@router.post(
    "",
    status_code=201,
    response_model=AssociationRead,
    responses=problem_responses(403, 410, 422),
)
def create_association(
    body: AssociationCreate,
    principal: AdminOnly,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> object:
    """Register an association (admin)."""
    replayed = idempotency.replay(
        lambda ref: _created(service.get_association(session, principal, int(ref)))
    )
    if replayed is not None:
        return replayed
    row = service.create_association(session, principal, body)
    return idempotency.created(response, _created(row), resource=service.RESOURCE, record_id=row.id)


@router.get("/{association_id}", responses=problem_responses(404, 422))
def get_association(
    association_id: IdPath, principal: AnyRole, session: SessionDep, response: Response
) -> AssociationRead:
    """One association."""
    return one(
        response, AssociationRead, service.get_association(session, principal, association_id)
    )


@router.patch("/{association_id}", responses=problem_responses(403, 404, 412, 422))
def update_association(
    association_id: IdPath,
    body: AssociationUpdate,
    principal: AdminOnly,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> AssociationRead:
    """Change an association (admin); honours ``If-Match``."""
    row = service.update_association(session, principal, association_id, body, if_match)
    return one(response, AssociationRead, row)


@router.delete(
    "/{association_id}", status_code=204, responses=problem_responses(403, 404, 409, 412, 422)
)
def delete_association(
    association_id: IdPath, principal: AdminOnly, session: SessionDep, if_match: IfMatch = None
) -> None:
    """Delete an association that has no mentors (admin); its keys are deleted with it."""
    service.delete_association(session, principal, association_id, if_match)
