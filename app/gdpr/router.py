"""``/newcomers/{id}/export``: everything held about a newcomer (GDPR access)."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth import Staff
from app.db import SessionDep
from app.gdpr import service
from app.gdpr.schemas import NewcomerExport
from app.newcomers.repository import get_scoped

router = APIRouter(tags=["gdpr"])


@router.get("/newcomers/{newcomer_id}/export", response_model=NewcomerExport)
def export_newcomer(newcomer_id: int, session: SessionDep, principal: Staff) -> NewcomerExport:
    """Every stored field of the newcomer, their matches, and what was done when (not by whom).

    Admins, and coordinators of the newcomer's municipality; 404 outside the scope.
    """
    newcomer = get_scoped(session, principal, newcomer_id)
    return service.export_newcomer(session, principal, newcomer)
