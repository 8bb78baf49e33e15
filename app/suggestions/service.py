"""Suggestions from the solver's own rules and score (``matching.suggest``), never a copy.

Only the mentors who could qualify are scored: the process's index of mentors
(:mod:`app.suggestions.index`, checked against the table on every call) narrows them by
programme, a shared language and distance (a superset of those who pass the programme,
language and distance rules), the bridge adds their accepted load and the newcomer's
forbidden pairs (``suggestion_problem``), and ``matching.suggest`` decides. The answer is the
one ``load_problem(newcomer_ids=[id])`` against every mentor would give
(tests/app/test_suggestions_narrowed.py compares both on random data): the candidates and the
counts from the distance rule on come from the narrowed set, which holds every mentor who gets
that far; the programme and language counts, over all mentors of the programme, come from the
index. A household's request is narrowed as the rules read it (``matching.request_reading``:
the household together, the adults' languages), and each request is suggested with the
household's live proposals of its other requests forbidden (``mapping.elsewhere``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

import matching
from app import audit, clock
from app.auth import Principal
from app.errors import Conflict, ValidationFailed
from app.matches.mapping import (
    elsewhere,
    mentor_id_of,
    newcomer_key,
    suggestion_people,
    suggestion_problem,
)
from app.models import Newcomer
from app.newcomers.repository import get_scoped
from app.suggestions import index, repository
from app.suggestions.index import Counts
from app.suggestions.nearby import point_of
from app.suggestions.schemas import (
    CandidateRead,
    RequestSuggestions,
    ScoreComponents,
    SuggestionsRead,
)

POLICY = matching.Policy()


def find(
    session: Session,
    newcomer: Newcomer,
    *,
    limit: int,
    programme: str | None = None,
    today: date | None = None,
) -> list[matching.Suggestions]:
    """The ``matching.suggest`` answer for each open request of ``newcomer`` (or
    ``programme``), over the mentors who could qualify, with the counts over all mentors.

    422 for an unknown programme; 409 when ``programme`` is not an open request.
    """
    return _find(session, newcomer, limit=limit, programme=programme, today=today)[0]


def _find(
    session: Session,
    newcomer: Newcomer,
    *,
    limit: int,
    programme: str | None,
    today: date | None,
) -> tuple[list[matching.Suggestions], index.MentorIndex | None]:
    """:func:`find`'s answer, and the index of mentors it read (checked current in this
    transaction; ``None`` when there was no open request to suggest for)."""
    today = today or clock.today()
    people = suggestion_people(session, newcomer.id, today=today)
    known = {p.code for p in people.programmes}
    if programme is not None and programme not in known:
        raise ValidationFailed("programme", f"unknown programme {programme!r}")
    key = newcomer_key(newcomer.id)
    person = next((n for n in people.newcomers if n.id == key), None)
    open_requests = person.programmes if person is not None else ()
    if programme is not None:
        if programme not in open_requests:
            raise Conflict(f"Newcomer {newcomer.id} has no open request in {programme!r}")
        wanted: tuple[str, ...] = (programme,)
    else:
        wanted = open_requests
    counts: dict[str, Counts] = {}
    chosen: list[matching.Mentor] = []
    ids: list[int] = []
    listed: frozenset[str] | None = None
    per_programme: dict[str, set[str] | None] = {}
    pool: matching.MentorPool | None = None
    mentors: index.MentorIndex | None = None
    if wanted:
        mentors = index.current(session, today=today, policy=POLICY)
        pool = mentors.pool
        alone = people.problem(POLICY)
        near_rows: dict[str, npt.NDArray[np.int64]] = {}
        # The programmes as this call's bridge read them (the same transaction's rows).
        by_code = {p.code: p for p in people.programmes}
        for rule in (by_code[c] for c in wanted if c in people.active_codes):
            # A household's request reads the household together (the adults' languages).
            reading = matching.request_reading(alone, key, rule.code)
            languages = list(reading.languages)
            found = mentors.counts(
                rule.code, languages, rule.requires_language, rule.requires_first_language
            )
            counts[rule.code] = found
            point = point_of(reading.lat, reading.lon, reading.municipality)
            limit_km = (
                POLICY.default_max_distance_km
                if reading.max_distance_km is None
                else reading.max_distance_km
            )
            near = mentors.near_rows(rule.code, languages, point, limit_km)
            # One mentor of the programme, near or not: matching.suggest then tells whether
            # the newcomer's age lets any mentor pass the programme rule.
            if found.first_row >= 0:
                near = np.append(near, found.first_row)
            near_rows[rule.code] = near
        # Every request's mentors, once each, in id order.
        rows = np.unique(np.concatenate([*near_rows.values(), np.zeros(0, dtype=np.int64)]))
        rows = rows[np.argsort(mentors.ids[rows], kind="stable")]
        chosen = [mentors.mentors[i] for i in rows.tolist()]
        ids = mentors.ids[rows].tolist()
        listed = mentors.listed if mentors.capacities_ok else None
        for code, near in near_rows.items():
            # A request alone (or one whose mentors are all of them) needs no narrowing.
            alone_rows = len(near_rows) == 1 or len(np.unique(near)) == len(rows)
            per_programme[code] = (
                None if alone_rows else {mentors.mentors[i].id for i in near.tolist()}
            )
    problem = suggestion_problem(
        session, people, chosen, today=today, policy=POLICY, ids=ids, listed=listed
    ).problem
    blocks = [
        _counted_over_all(
            matching.suggest(
                _only(elsewhere(problem, people.live, newcomer.id, code), per_programme[code]),
                key,
                code,
                limit,
                pool=pool,
            ),
            counts[code],
        )
        for code in wanted
    ]
    return blocks, mentors


@dataclass(frozen=True, slots=True)
class LanguageReading:
    """The languages the language rule reads for a request; ``household`` when they are a
    household's (its adult members')."""

    languages: tuple[str, ...]
    household: bool


def language_readings(
    session: Session, newcomer_id: int, programmes: Sequence[str], *, today: date | None = None
) -> dict[str, LanguageReading]:
    """For each of these open requests of the newcomer, the languages the language rule reads
    (``matching.request_reading``): a household's request its adult members' (everyone's
    when no adult's age is known, MATCHING.md), any other request the newcomer's. Requests
    not open are left out."""
    if not programmes:
        return {}
    people = suggestion_people(session, newcomer_id, today=today or clock.today())
    key = newcomer_key(newcomer_id)
    person = next((n for n in people.newcomers if n.id == key), None)
    if person is None:
        return {}
    alone = people.problem(POLICY)
    units = {p.code: p.unit for p in people.programmes}
    together = any(h.members[0] == key and len(h.members) > 1 for h in people.households)
    return {
        code: LanguageReading(
            languages=matching.request_reading(alone, key, code).languages,
            household=together and units.get(code) == "household",
        )
        for code in programmes
        if code in person.programmes
    }


def _only(problem: matching.Problem, mentors: set[str] | None) -> matching.Problem:
    """``problem`` with only ``mentors`` (and the pairs that name them): each request is
    scored against its own programme's mentors, not every narrowed one (``None``: they are
    all of the problem's)."""
    if mentors is None:
        return problem
    return replace(
        problem,
        mentors=tuple(m for m in problem.mentors if m.id in mentors),
        fixed=tuple(a for a in problem.fixed if a.mentor in mentors),
        forbidden=tuple(f for f in problem.forbidden if f.mentor in mentors),
    )


def _counted_over_all(block: matching.Suggestions, counts: Counts) -> matching.Suggestions:
    """``block`` with the programme and language counts over every mentor of the programme.

    ``block`` counted only the narrowed mentors. Its programme count is positive exactly when
    the newcomer's age fits the programme (a mentor of it is always among them); its counts
    from the distance rule on are already complete (a rule left out means none were left).
    """
    age_fits = block.passed.get("programme", 0) > 0
    left = [counts.in_programme if age_fits else 0, counts.speaking]
    left += [block.passed.get(rule, 0) for rule in matching.PAIR_RULES[2:]]
    passed: dict[str, int] = {}
    reason: str | None = None
    for rule, count in zip(matching.PAIR_RULES, left, strict=True):
        passed[rule] = count
        if count == 0:
            reason = rule
            break
    return replace(block, reason=reason, passed=passed)


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
    found, mentors = _find(session, newcomer, limit=limit, programme=programme, today=None)
    mentor_ids = sorted({mentor_id_of(c.mentor) for s in found for c in s.candidates})
    # The candidates are the index's mentors, checked current in this transaction by _find.
    facts = (mentors.facts(mentor_ids) if mentors is not None else None) or (
        repository.mentor_facts(session, mentor_ids)
    )
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
