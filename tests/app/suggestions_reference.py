"""Suggestions as they were computed before the narrowing: every active mentor, read by
``load_problem``, then ``matching.suggest``. The reference the narrowed path is compared with
(tests/app/test_suggestions_narrowed.py) and measured against
(tests/benchmarks/bench_suggestions.py).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

import matching
from app.matches.mapping import elsewhere, load_problem, newcomer_key, suggestion_people


def full_load_suggestions(
    session: Session, newcomer_id: int, limit: int, programme: str | None, today: date | None
) -> list[matching.Suggestions]:
    """The blocks of each open request (or ``programme`` when it is one), over every mentor,
    with the household's live proposals of other requests forbidden (``elsewhere``)."""
    problem = load_problem(session, newcomer_ids=[newcomer_id], today=today).problem
    live = suggestion_people(session, newcomer_id, today=today or date.today()).live
    key = newcomer_key(newcomer_id)
    person = next((n for n in problem.newcomers if n.id == key), None)
    wanted = person.programmes if person is not None else ()
    if programme is not None:
        wanted = (programme,) if programme in wanted else ()
    return [
        matching.suggest(elsewhere(problem, live, newcomer_id, code), key, code, limit)
        for code in wanted
    ]
