"""Mentor facts that suggestions read beside the index of mentors (when it lacks them)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Mentor


def mentor_facts(session: Session, mentor_ids: Collection[int]) -> dict[int, tuple[int, str]]:
    """``{mentor id: (association id, municipality)}``."""
    if not mentor_ids:
        return {}
    rows = session.execute(
        select(Mentor.id, Mentor.association_id, Mentor.municipality).where(
            Mentor.id.in_(sorted(mentor_ids))
        )
    )
    return {row.id: (row.association_id, row.municipality) for row in rows}
