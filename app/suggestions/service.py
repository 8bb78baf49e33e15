"""Suggestions from the solver's own rules and score (``matching.suggest``), never a copy.

The problem is read by the one bridge (``load_problem`` for this newcomer against every
active mentor, with accepted matches as load and rejected pairs as forbidden), so a
suggestion qualifies exactly when the nightly run could propose it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

import matching
from app import audit
from app.auth import Principal
from app.errors import Conflict, ValidationFailed
from app.matches.mapping import load_problem, mentor_id_of, newcomer_key
from app.newcomers.repository import get_scoped
from app.suggestions import repository
from app.suggestions.schemas import (
    CandidateRead,
    RequestSuggestions,
    ScoreComponents,
    SuggestionsRead,
)


def suggestions(
    session: Session,
    principal: Principal,
    newcomer_id: int,
    *,
    limit: int,
    programme: str | None = None,
) -> SuggestionsRead:
    """The ``limit`` best mentors for each open request of the newcomer (or ``programme``).

    404 outside the caller's scope; 422 for an unknown programme; 409 when ``programme`` is
    not an open request (not asked for, already matched, or the newcomer is inactive).
    """
    newcomer = get_scoped(session, principal, newcomer_id)
    snapshot = load_problem(session, newcomer_ids=[newcomer.id])
    problem = snapshot.problem
    if programme is not None and programme not in {p.code for p in problem.programmes}:
        raise ValidationFailed("programme", f"unknown programme {programme!r}")
    key = newcomer_key(newcomer.id)
    person = next((n for n in problem.newcomers if n.id == key), None)
    open_requests = person.programmes if person is not None else ()
    if programme is not None:
        if programme not in open_requests:
            raise Conflict(f"Newcomer {newcomer.id} has no open request in {programme!r}")
        wanted: tuple[str, ...] = (programme,)
    else:
        wanted = open_requests
    found = [matching.suggest(problem, key, code, limit) for code in wanted]
    mentor_ids = {mentor_id_of(c.mentor) for s in found for c in s.candidates}
    facts = repository.mentor_facts(session, mentor_ids)
    items = []
    for block in found:
        candidates = []
        for candidate in block.candidates:
            mentor_id = mentor_id_of(candidate.mentor)
            association_id, municipality = facts[mentor_id]
            parts = candidate.components
            candidates.append(
                CandidateRead(
                    mentor_id=mentor_id,
                    association_id=association_id,
                    municipality=municipality,
                    score=round(candidate.score, 4),
                    distance_km=round(candidate.distance_km, 2),
                    components=ScoreComponents(
                        language=round(parts.language, 4),
                        distance=round(parts.distance, 4),
                        interests=round(parts.interests, 4),
                        age=round(parts.age, 4),
                    ),
                )
            )
        items.append(
            RequestSuggestions(
                programme=block.programme,
                candidates=candidates,
                reason=None if candidates else block.reason,
                passed=dict(block.passed),
            )
        )
    audit.record(session, principal, "suggest", "newcomer", newcomer.id)
    return SuggestionsRead(newcomer_id=newcomer.id, items=items)
