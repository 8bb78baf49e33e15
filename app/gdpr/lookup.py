"""A newcomer by id within the caller's scope (404 outside it, as if it did not exist)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.auth import Principal
from app.errors import NotFound
from app.models import Newcomer


def newcomer_in_scope(session: Session, principal: Principal, newcomer_id: int) -> Newcomer:
    """The newcomer, if the caller may see it; else 404 (no enumeration)."""
    newcomer = session.get(Newcomer, newcomer_id)
    visible = newcomer is not None and (
        principal.is_admin
        or (principal.role == "coordinator" and newcomer.municipality in principal.municipalities)
    )
    if newcomer is None or not visible:
        raise NotFound(f"No newcomer {newcomer_id}")
    return newcomer
