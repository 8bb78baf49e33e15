"""``/newcomers``: admins and coordinators (newcomers of their municipalities)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from app.auth import Principal, Staff
from app.db import SessionDep, finish, writes
from app.errors import problem_responses
from app.gdpr.service import checkpoint_after_erasure
from app.idempotency import Created, IdempotencyDep
from app.lean import LeanRoute
from app.models import Newcomer
from app.newcomers import service
from app.newcomers.schemas import NewcomerCreate, NewcomerRead, NewcomerUpdate
from app.pagination import Page, PageParams, page_params
from app.resources import IdPath, IfMatch, MunicipalityQuery, json_response, one

router = APIRouter(prefix="/newcomers", tags=["newcomers"])
Paging = Annotated[PageParams, Depends(page_params)]


NewcomerPage = Page[NewcomerRead]


def _list(session: Session, principal: Principal, query: dict[str, Any]) -> Response:
    """The list's answer for the query parameters' values (by the route's parameter names)."""
    params = PageParams(limit=query["limit"], cursor=query["cursor"])
    rows, cursor = service.list_newcomers(
        session, principal, params, municipality=query["municipality"], active=query["active"]
    )
    # The rows' columns as mappings (by the page's column names, read once), validated with
    # the page in one call.
    names = rows[0]._fields if rows else ()
    items = [dict(zip(names, row, strict=True)) for row in rows]
    return json_response(
        NewcomerPage, NewcomerPage.model_validate({"items": items, "next_cursor": cursor})
    )


@writes  # the read is audited
def list_newcomers(
    principal: Staff,
    session: SessionDep,
    params: Paging,
    municipality: MunicipalityQuery = None,
    active: bool | None = None,
) -> Response:
    """Newcomers in the caller's municipalities, by id (each one returned is audited)."""
    query = {"limit": params.limit, "cursor": params.cursor}
    answer = _list(session, principal, query | {"municipality": municipality, "active": active})
    finish(session)  # commits the audit events
    return answer


# Served lean (app.lean: one worker-thread trip a request), documented by ``list_newcomers``;
# a writer's session: the audit events commit with the read.
router.add_api_route("", LeanRoute(list_newcomers, _list), methods=["GET"], include_in_schema=False)
router.add_api_route(
    "",
    list_newcomers,
    methods=["GET"],
    response_model=NewcomerPage,
    responses=problem_responses(403, 422),
)


def _created(row: Newcomer) -> Created:
    return Created(NewcomerRead.model_validate(row), f"/api/v1/newcomers/{row.id}", row.version)


@router.post(
    "", status_code=201, response_model=NewcomerRead, responses=problem_responses(403, 410, 422)
)
def create_newcomer(
    body: NewcomerCreate,
    principal: Staff,
    session: SessionDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> object:
    """Register a newcomer (403 outside the key's municipalities)."""
    replayed = idempotency.replay(
        lambda ref: _created(service.get_newcomer(session, principal, int(ref)))
    )
    if replayed is not None:
        return replayed
    row = service.create_newcomer(session, principal, body)
    return idempotency.created(response, _created(row), resource=service.RESOURCE, record_id=row.id)


@router.get("/{newcomer_id}", responses=problem_responses(403, 404, 422))
@writes  # the read is audited
def get_newcomer(
    newcomer_id: IdPath, principal: Staff, session: SessionDep, response: Response
) -> NewcomerRead:
    """One newcomer (audited)."""
    return one(response, NewcomerRead, service.get_newcomer(session, principal, newcomer_id))


@router.patch("/{newcomer_id}", responses=problem_responses(403, 404, 412, 422))
def update_newcomer(
    newcomer_id: IdPath,
    body: NewcomerUpdate,
    principal: Staff,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> NewcomerRead:
    """Change a newcomer; honours ``If-Match``."""
    row = service.update_newcomer(session, principal, newcomer_id, body, if_match)
    return one(response, NewcomerRead, row)


@router.delete("/{newcomer_id}", status_code=204, responses=problem_responses(403, 404, 412, 422))
def delete_newcomer(
    newcomer_id: IdPath,
    principal: Staff,
    session: SessionDep,
    request: Request,
    if_match: IfMatch = None,
) -> None:
    """Erase a newcomer and everything held about them (matches, run entries)."""
    service.delete_newcomer(session, principal, newcomer_id, if_match)
    session.commit()
    checkpoint_after_erasure(request.app.state.engine)
