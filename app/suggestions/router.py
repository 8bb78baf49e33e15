"""``/newcomers/{id}/suggestions``: best mentors now, or why there are none."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from app.auth import Principal, Staff
from app.db import SessionDep, writes
from app.errors import problem_responses
from app.lean import LeanRoute
from app.resources import IdPath, json_response
from app.suggestions import service
from app.suggestions.schemas import SuggestionsRead

router = APIRouter(tags=["suggestions"])

PATH = "/newcomers/{newcomer_id}/suggestions"


def _suggest(session: Session, principal: Principal, values: dict[str, Any]) -> Response:
    """The answer for the path's and the query's values (by the route's parameter names)."""
    found = service.suggestions(
        session,
        principal,
        values["newcomer_id"],
        limit=values["limit"],
        programme=values["programme"],
    )
    return json_response(SuggestionsRead, found)


@writes  # the read is audited
def get_suggestions(
    newcomer_id: IdPath,
    session: SessionDep,
    principal: Staff,
    limit: Annotated[int, Query(ge=1, le=50, description="Candidates per request")] = 5,
    programme: Annotated[
        str | None, Query(max_length=50, description="Only this open request")
    ] = None,
) -> Response:
    """For each open request, the best mentors now with score components and distance; when
    none qualify, the rule that removed the last ones and the mentors left after each rule.

    Admins, and coordinators of the newcomer's municipality (404 outside it).
    """
    values = {"newcomer_id": newcomer_id, "limit": limit, "programme": programme}
    return _suggest(session, principal, values)


# Served lean (app.lean: one worker-thread trip a request), documented by ``get_suggestions``;
# a writer's session: the audit event commits with the read.
router.add_api_route(
    PATH, LeanRoute(get_suggestions, _suggest), methods=["GET"], include_in_schema=False
)
router.add_api_route(
    PATH,
    get_suggestions,
    methods=["GET"],
    response_model=SuggestionsRead,
    responses=problem_responses(403, 404, 409, 422),
)
