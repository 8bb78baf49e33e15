"""``/newcomers/{id}/export``: everything held about a newcomer (GDPR access)."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth import Staff
from app.db import SessionDep, writes
from app.errors import problem_responses
from app.gdpr import service
from app.gdpr.schemas import NewcomerExport
from app.newcomers.repository import get_scoped
from app.resources import IdPath

router = APIRouter(tags=["gdpr"])


@router.get(
    "/newcomers/{newcomer_id}/export",
    response_model=NewcomerExport,
    responses=problem_responses(403, 404, 422),
)
@writes  # the read is audited
def export_newcomer(newcomer_id: IdPath, session: SessionDep, principal: Staff) -> NewcomerExport:
    """Every stored field of the newcomer, their matches, and what was done when (not by whom).

    Admins, and coordinators of the newcomer's municipality; 404 outside the scope.
    """
    newcomer = get_scoped(session, principal, newcomer_id)
    return service.export_newcomer(session, principal, newcomer)
