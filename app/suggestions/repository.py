"""Mentor facts and programme rules that suggestions read beside the index of mentors."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Mentor, Programme


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


@dataclass(frozen=True, slots=True)
class ProgrammeRule:
    """What the language rule asks of a programme's mentors (as ``matching.Programme``)."""

    code: str
    requires_language: str | None
    requires_first_language: bool


def programme_rules(session: Session, codes: Sequence[str]) -> list[ProgrammeRule]:
    """The active programmes among ``codes``, in the order given."""
    rows = session.execute(
        select(
            Programme.code, Programme.requires_language, Programme.requires_first_language
        ).where(Programme.code.in_(list(codes)), Programme.active.is_(True))
    ).all()
    found = {
        r.code: ProgrammeRule(r.code, r.requires_language, bool(r.requires_first_language))
        for r in rows
    }
    return [found[c] for c in codes if c in found]
