"""``/api/v1/matches``: list, read, a manual match, and accept / reject / end."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from app.auth import AnyRole, Principal, Staff
from app.db import SessionDep, finish
from app.domain import MAX_ID
from app.etag import set_etag
from app.idempotency import Created, IdempotencyDep
from app.lean import LeanRoute
from app.matches import service
from app.matches.schemas import (
    NO_NUL,
    AssociationMatchRead,
    MatchCreate,
    MatchDecision,
    MatchRead,
    MatchStatus,
)
from app.models import Match
from app.pagination import Page, PageParams, page_params
from app.resources import IdPath, IfMatch, MunicipalityQuery, json_response

router = APIRouter(prefix="/matches", tags=["matches"])


#: The list's answer (its ``response_model``).
MatchPage = Page[MatchRead] | Page[AssociationMatchRead]


def _list(session: Session, principal: Principal, query: dict[str, Any]) -> Response:
    """The list's answer for the query parameters' values (by the route's parameter names)."""
    params = PageParams(limit=query["limit"], cursor=query["cursor"])
    page = service.list_matches(
        session,
        principal,
        params,
        status=query["status"],
        newcomer_id=query["newcomer_id"],
        mentor_id=query["mentor_id"],
        municipality=query["municipality"],
        programme=query["programme"],
    )
    return json_response(MatchPage, page)


def list_matches(
    principal: AnyRole,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[MatchStatus | None, Query()] = None,
    newcomer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    mentor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    municipality: MunicipalityQuery = None,
    programme: Annotated[str | None, Query(max_length=50, pattern=NO_NUL)] = None,
) -> Response:
    """The caller's matches, filtered; associations see only their mentors' matches."""
    query = {"limit": params.limit, "cursor": params.cursor, "status": status}
    query |= {"newcomer_id": newcomer_id, "mentor_id": mentor_id}
    query |= {"municipality": municipality, "programme": programme}
    answer = _list(session, principal, query)
    finish(session)
    return answer


# Served lean (app.lean: one worker-thread trip a request), documented by ``list_matches``.
router.add_api_route("", LeanRoute(list_matches, _list), methods=["GET"], include_in_schema=False)
router.add_api_route("", list_matches, methods=["GET"], response_model=MatchPage)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MatchRead, responses={409: {}})
def create_match(
    principal: Staff, session: SessionDep, body: MatchCreate, idempotency: IdempotencyDep
) -> Response:
    """A coordinator's manual match; it starts as ``proposed``."""
    replay = idempotency.replay(
        lambda ref: _created(session, principal, service.get_match(session, principal, int(ref)))
    )
    if replay is not None:
        return replay
    match = service.create_manual(session, principal, body)
    answer = _created(session, principal, match)
    idempotency.save(service.RESOURCE, match.id)
    payload = answer.body.model_dump(mode="json")
    return JSONResponse(payload, status_code=status.HTTP_201_CREATED, headers=answer.headers())


def _created(session: Session, principal: Principal, match: Match) -> Created:
    body = service.staff_view(session, principal, match)
    return Created(body, f"/api/v1/matches/{match.id}", match.version)


@router.get("/{match_id}", response_model=MatchRead | AssociationMatchRead)
def get_match(
    match_id: IdPath, principal: AnyRole, session: SessionDep, response: Response
) -> MatchRead | AssociationMatchRead:
    """One match (with its ETag)."""
    match = service.get_match(session, principal, match_id)
    set_etag(response, match.version)
    return service.read_one(session, principal, match)


@router.post("/{match_id}/accept", response_model=MatchRead, responses={409: {}, 412: {}})
def accept_match(
    match_id: IdPath,
    principal: Staff,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> MatchRead:
    """Accept a proposal; 409 when not proposed, its request is taken or the mentor is full."""
    match = service.accept(session, principal, match_id, if_match)
    set_etag(response, match.version)
    return service.staff_view(session, principal, match)


@router.post("/{match_id}/reject", response_model=MatchRead, responses={409: {}, 412: {}})
def reject_match(
    match_id: IdPath,
    body: MatchDecision,
    principal: Staff,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> MatchRead:
    """Reject a proposal with a reason; the pair is never proposed again."""
    match = service.reject(session, principal, match_id, if_match, body.reason)
    set_etag(response, match.version)
    return service.staff_view(session, principal, match)


@router.post("/{match_id}/end", response_model=MatchRead, responses={409: {}, 412: {}})
def end_match(
    match_id: IdPath,
    body: MatchDecision,
    principal: Staff,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> MatchRead:
    """End an accepted match with a reason."""
    match = service.end(session, principal, match_id, if_match, body.reason)
    set_etag(response, match.version)
    return service.staff_view(session, principal, match)
