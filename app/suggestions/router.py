"""``/newcomers/{id}/suggestions``: best mentors now, or why there are none."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth import Staff
from app.db import SessionDep, writes
from app.errors import problem_responses
from app.resources import IdPath
from app.suggestions import service
from app.suggestions.schemas import SuggestionsRead

router = APIRouter(tags=["suggestions"])


@router.get(
    "/newcomers/{newcomer_id}/suggestions",
    response_model=SuggestionsRead,
    responses=problem_responses(403, 404, 409, 422),
)
@writes  # the read is audited
def get_suggestions(
    newcomer_id: IdPath,
    session: SessionDep,
    principal: Staff,
    limit: Annotated[int, Query(ge=1, le=50, description="Candidates per request")] = 5,
    programme: Annotated[
        str | None, Query(max_length=50, description="Only this open request")
    ] = None,
) -> SuggestionsRead:
    """For each open request, the best mentors now with score components and distance; when
    none qualify, the rule that removed the last ones and the mentors left after each rule.

    Admins, and coordinators of the newcomer's municipality (404 outside it).
    """
    return service.suggestions(session, principal, newcomer_id, limit=limit, programme=programme)
