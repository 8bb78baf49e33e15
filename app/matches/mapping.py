"""The one bridge between the ORM and the matching library.

This is the only module that imports both ``app.models`` and ``matching``. It reads the rows
the solver needs (sorted by id, so the same database gives the same problem), turns them into
``matching`` dataclasses, and keeps the maps between the solver's string ids and the database's
integer ids. Only what the rules and the score read crosses: no names, e-mails or phones.

What the solver sees:

- ``programmes``: every programme row (inactive ones too, so that an accepted match in a
  programme since retired still validates); people's programme lists keep only active ones.
- ``mentors``: active mentors. A mentor whose accepted load exceeds a since-lowered capacity is
  given ``capacity = load`` (full, never negative).
- ``newcomers``: active newcomers with at least one *open request* — a requested, active
  programme without an accepted match and without a pending manual proposal (a coordinator
  who proposed a mentor by hand is handling that request: a run leaves it, and the manual
  proposal, alone).
- ``fixed``: accepted matches of active mentors (they use up places).
- ``previous``: solver proposals whose request is still open (the keep bonus).
- ``forbidden``: rejected and ended (newcomer, mentor) pairs: a pair a coordinator turned
  down, or whose mentorship is over, is not proposed again; and the pairs of pending manual
  proposals (a newcomer never gets the same mentor twice).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Integer, Select, Text, any_, bindparam, cast, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.models import Match as MatchRow
from app.models import Mentor as MentorRow
from app.models import Newcomer as NewcomerRow
from app.models import Programme as ProgrammeRow
from matching import model as mm
from matching import solve

PROPOSED, ACCEPTED, REJECTED, ENDED = "proposed", "accepted", "rejected", "ended"
MANUAL = "manual"
_GENDERS = frozenset({"female", "male", "other"})


def newcomer_key(newcomer_id: int) -> str:
    """The solver's id of a newcomer row."""
    return f"n{newcomer_id}"


def mentor_key(mentor_id: int) -> str:
    """The solver's id of a mentor row."""
    return f"m{mentor_id}"


def newcomer_id_of(key: str) -> int:
    """The database id behind a solver newcomer id."""
    return int(key[1:])


def mentor_id_of(key: str) -> int:
    """The database id behind a solver mentor id."""
    return int(key[1:])


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A solver problem read from the database, with the id maps back to the rows.

    ``newcomer_ids``/``mentor_ids`` map solver ids to database ids. ``proposals`` maps each
    ``previous`` triple (newcomer key, mentor key, programme) to its match row id, so a run can
    keep those rows. ``stale_proposals`` are solver proposals that could not be passed as
    ``previous`` (request no longer open, person inactive): a run supersedes them. Manual
    proposals are in neither: a run leaves them alone.
    """

    problem: mm.Problem
    today: date
    newcomer_ids: dict[str, int] = field(default_factory=dict)
    mentor_ids: dict[str, int] = field(default_factory=dict)
    proposals: dict[tuple[str, str, str], int] = field(default_factory=dict)
    stale_proposals: tuple[int, ...] = ()

    def summary(self) -> str:
        """A progress line: what was read."""
        p = self.problem
        requests = sum(len(n.programmes) for n in p.newcomers)
        return (
            f"{requests} open requests of {len(p.newcomers)} newcomers, {len(p.mentors)} "
            f"mentors, {len(p.fixed)} accepted, {len(p.previous)} proposed"
        )


def age_on(birth: date | None, today: date) -> int | None:
    """Whole years from ``birth`` to ``today`` (``None`` when unknown)."""
    if birth is None:
        return None
    years = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return max(years, 0)


def age_from_year(birth_year: int | None, today: date) -> int | None:
    """Age from a birth year alone: the age reached during ``today``'s year."""
    if birth_year is None:
        return None
    return max(today.year - birth_year, 0)


def waiting_days(registered_at: datetime, today: date) -> int:
    """Whole days since registration (never negative)."""
    if registered_at.tzinfo is None:
        registered_at = registered_at.replace(tzinfo=UTC)
    return max((today - registered_at.astimezone(UTC).date()).days, 0)


def _text(column: Any) -> Any:
    """A JSON column read as its text, for :func:`_decode_json`."""
    return cast(column, Text)


def _decode_json(rows: Sequence[Any], count: int) -> list[list[Any]]:
    """The last ``count`` columns of each row (JSON texts), decoded with one ``json.loads``.

    Tens of thousands of tiny ``json.loads`` calls (one per value, as the drivers do) cost
    more than the parsing itself; one call on the joined texts is several times faster.
    """
    parts = ",".join(
        "[" + ",".join(value or "null" for value in row[-count:]) + "]" for row in rows
    )
    decoded: list[list[Any]] = json.loads(f"[{parts}]")
    return decoded


def _gender(value: str | None) -> mm.Gender | None:
    return value if value in _GENDERS else None  # type: ignore[return-value]


def _programmes(session: Session) -> tuple[tuple[mm.Programme, ...], frozenset[str]]:
    rows = session.execute(
        select(
            ProgrammeRow.code,
            ProgrammeRow.min_age,
            ProgrammeRow.max_age,
            ProgrammeRow.requires_language,
            ProgrammeRow.requires_first_language,
            ProgrammeRow.active,
        ).order_by(ProgrammeRow.code)
    ).all()
    programmes = tuple(
        mm.Programme(
            code=r.code,
            min_age=r.min_age,
            max_age=r.max_age,
            requires_language=r.requires_language,
            requires_first_language=bool(r.requires_first_language),
        )
        for r in rows
    )
    return programmes, frozenset(r.code for r in rows if r.active)


def load_problem(
    session: Session,
    *,
    newcomer_ids: Collection[int] | None = None,
    today: date | None = None,
    policy: mm.Policy | None = None,
) -> Snapshot:
    """Read the solver's problem from the database.

    ``newcomer_ids`` restricts the newcomers (for suggestions: one newcomer against all
    mentors); mentors, and every accepted match's load on them, are always complete.
    ``today`` fixes the date ages and waiting days are counted at (default: today in UTC).
    """
    today = today or datetime.now(UTC).date()
    wanted = None if newcomer_ids is None else frozenset(newcomer_ids)
    programmes, active_codes = _programmes(session)

    # Matches that shape the problem: accepted (fixed), proposed (previous), rejected and
    # ended (forbidden).
    match_rows = session.execute(
        select(
            MatchRow.id,
            MatchRow.newcomer_id,
            MatchRow.mentor_id,
            MatchRow.programme,
            MatchRow.status,
            MatchRow.source,
        )
        .where(MatchRow.status.in_((ACCEPTED, PROPOSED, REJECTED, ENDED)))
        .order_by(MatchRow.id)
    ).all()

    mentor_rows = session.execute(
        select(
            MentorRow.id,
            MentorRow.municipality,
            MentorRow.capacity,
            MentorRow.lat,
            MentorRow.lon,
            MentorRow.max_distance_km,
            MentorRow.gender,
            MentorRow.birth_year,
            MentorRow.child_certificate,
            _text(MentorRow.languages),
            _text(MentorRow.programmes),
            _text(MentorRow.interests),
            _text(MentorRow.accepts_genders),
        )
        .where(MentorRow.active.is_(True))
        .order_by(MentorRow.id)
    ).all()
    active_mentors = {r.id for r in mentor_rows}

    fixed_load: dict[int, int] = defaultdict(int)
    # (newcomer, programme) with an accepted match or a pending manual proposal
    closed: set[tuple[int, str]] = set()
    for m in match_rows:
        if m.status == PROPOSED and m.source == MANUAL:
            closed.add((m.newcomer_id, m.programme))
        if m.status == ACCEPTED:
            closed.add((m.newcomer_id, m.programme))
            if m.mentor_id in active_mentors:
                fixed_load[m.mentor_id] += 1

    mentors: list[mm.Mentor] = []
    mentor_ids: dict[str, int] = {}
    for r, (languages, wanted_programmes, interests, accepts) in zip(
        mentor_rows, _decode_json(mentor_rows, 4), strict=True
    ):
        key = mentor_key(r.id)
        mentor_ids[key] = r.id
        mentors.append(
            mm.Mentor(
                id=key,
                languages=tuple(languages or ()),
                municipality=r.municipality,
                programmes=tuple(p for p in (wanted_programmes or ()) if p in active_codes),
                capacity=max(int(r.capacity), fixed_load.get(r.id, 0), 1),
                lat=r.lat,
                lon=r.lon,
                max_distance_km=r.max_distance_km,
                interests=tuple(interests or ()),
                gender=_gender(r.gender),
                age=age_from_year(r.birth_year, today),
                accepts_genders=None if accepts is None else tuple(accepts),
                child_certificate=bool(r.child_certificate),
            )
        )

    newcomer_query = (
        select(
            NewcomerRow.id,
            NewcomerRow.municipality,
            NewcomerRow.lat,
            NewcomerRow.lon,
            NewcomerRow.max_distance_km,
            NewcomerRow.birth_date,
            NewcomerRow.gender,
            NewcomerRow.mentor_gender,
            NewcomerRow.registered_at,
            _text(NewcomerRow.languages),
            _text(NewcomerRow.programmes),
            _text(NewcomerRow.interests),
        )
        .where(NewcomerRow.active.is_(True))
        .order_by(NewcomerRow.id)
    )
    if wanted is not None:
        newcomer_query = newcomer_query.where(NewcomerRow.id.in_(sorted(wanted)))
    newcomers: list[mm.Newcomer] = []
    newcomer_ids_map: dict[str, int] = {}
    open_requests: set[tuple[int, str]] = set()
    newcomer_rows = session.execute(newcomer_query).all()
    for nr, (languages, asked, interests) in zip(
        newcomer_rows, _decode_json(newcomer_rows, 3), strict=True
    ):
        requested = tuple(
            dict.fromkeys(
                p for p in (asked or ()) if p in active_codes and (nr.id, p) not in closed
            )
        )
        if not requested:
            continue
        key = newcomer_key(nr.id)
        newcomer_ids_map[key] = nr.id
        open_requests.update((nr.id, p) for p in requested)
        newcomers.append(
            mm.Newcomer(
                id=key,
                languages=tuple(languages or ()),
                municipality=nr.municipality,
                programmes=requested,
                lat=nr.lat,
                lon=nr.lon,
                max_distance_km=nr.max_distance_km,
                age=age_on(nr.birth_date, today),
                gender=_gender(nr.gender),
                interests=tuple(interests or ()),
                mentor_gender=_gender(nr.mentor_gender),
                waiting_days=waiting_days(nr.registered_at, today),
            )
        )

    fixed: list[mm.Assignment] = []
    previous: list[mm.Assignment] = []
    forbidden: dict[tuple[str, str], None] = {}
    proposals: dict[tuple[str, str, str], int] = {}
    stale: list[int] = []
    seen_fixed: set[tuple[str, str, str]] = set()
    for m in match_rows:
        in_scope = wanted is None or m.newcomer_id in wanted
        triple = (newcomer_key(m.newcomer_id), mentor_key(m.mentor_id), m.programme)
        if m.status == ACCEPTED:
            if m.mentor_id in active_mentors and triple not in seen_fixed:
                seen_fixed.add(triple)
                fixed.append(mm.Assignment(*triple))
        elif m.status == PROPOSED:
            if not in_scope:
                continue
            if m.source == MANUAL:
                # The coordinator's: never kept or superseded by a run; its pair is not
                # proposed again in another programme while it is pending.
                if m.mentor_id in active_mentors:
                    forbidden[(triple[0], triple[1])] = None
                continue
            usable = (
                m.mentor_id in active_mentors
                and (m.newcomer_id, m.programme) in open_requests
                and triple not in proposals
            )
            if usable:
                proposals[triple] = m.id
                previous.append(mm.Assignment(*triple))
            else:
                stale.append(m.id)
        elif m.status in (REJECTED, ENDED) and in_scope and m.mentor_id in active_mentors:
            forbidden[(triple[0], triple[1])] = None

    problem = mm.Problem(
        mentors=tuple(mentors),
        newcomers=tuple(newcomers),
        policy=policy or mm.Policy(),
        programmes=programmes,
        fixed=tuple(fixed),
        previous=tuple(previous),
        forbidden=tuple(mm.ForbiddenPair(n, m) for n, m in forbidden),
    )
    return Snapshot(
        problem=problem,
        today=today,
        newcomer_ids=newcomer_ids_map,
        mentor_ids=mentor_ids,
        proposals=proposals,
        stale_proposals=tuple(stale),
    )


def read_mentors(session: Session, *, today: date) -> tuple[mm.Mentor, ...]:
    """Every active mentor, by id, as the solver sees them before accepted matches count:
    ``capacity`` and ``programmes`` as stored (:func:`suggestion_problem` applies the load
    and the active programmes). For suggestions' in-process index of mentors."""
    rows = session.execute(_mentor_columns().where(MentorRow.active.is_(True))).all()
    return tuple(
        mm.Mentor(
            id=mentor_key(r.id),
            languages=tuple(languages or ()),
            municipality=r.municipality,
            programmes=tuple(wanted_programmes or ()),
            capacity=int(r.capacity),
            lat=r.lat,
            lon=r.lon,
            max_distance_km=r.max_distance_km,
            interests=tuple(interests or ()),
            gender=_gender(r.gender),
            age=age_from_year(r.birth_year, today),
            accepts_genders=None if accepts is None else tuple(accepts),
            child_certificate=bool(r.child_certificate),
        )
        for r, (languages, wanted_programmes, interests, accepts) in zip(
            rows, _decode_json(rows, 4), strict=True
        )
    )


def suggestion_problem(
    session: Session,
    newcomer_id: int,
    mentors: Sequence[mm.Mentor],
    *,
    today: date,
    policy: mm.Policy | None = None,
) -> Snapshot:
    """One newcomer against only ``mentors`` (from :func:`read_mentors`): what suggestions
    need, read in a few rows.

    The newcomer and these mentors come out exactly as
    ``load_problem(session, newcomer_ids=[newcomer_id])`` gives them (the same open requests,
    capacities, programmes, forbidden pairs), but only these mentors' accepted matches are
    read, as ``fixed`` (their load), and only the newcomer's own matches otherwise. A caller
    that passes every mentor who could pass the programme, language and distance rules gets
    the same candidates and, from the distance rule on, the same ``passed`` counts.
    """
    programmes, active_codes = _programmes(session)
    ids = sorted(mentor_id_of(m.id) for m in mentors)
    columns = (MatchRow.id, MatchRow.newcomer_id, MatchRow.mentor_id, MatchRow.programme)
    accepted = (
        session.execute(
            select(*columns)
            .where(MatchRow.status == ACCEPTED, _among(session, MatchRow.mentor_id, ids))
            .order_by(MatchRow.id)
        ).all()
        if ids
        else []
    )
    own = session.execute(
        select(*columns, MatchRow.status, MatchRow.source)
        .where(
            MatchRow.newcomer_id == newcomer_id,
            MatchRow.status.in_((ACCEPTED, PROPOSED, REJECTED, ENDED)),
        )
        .order_by(MatchRow.id)
    ).all()

    fixed_load: dict[int, int] = defaultdict(int)
    fixed: dict[tuple[str, str, str], None] = {}
    for a in accepted:
        fixed_load[a.mentor_id] += 1
        fixed[(newcomer_key(a.newcomer_id), mentor_key(a.mentor_id), a.programme)] = None
    present = set(ids)
    closed: set[str] = set()
    forbidden: dict[tuple[str, str], None] = {}
    for m in own:
        if m.status == ACCEPTED or (m.status == PROPOSED and m.source == MANUAL):
            closed.add(m.programme)
        if m.mentor_id in present and (
            m.status in (REJECTED, ENDED) or (m.status == PROPOSED and m.source == MANUAL)
        ):
            forbidden[(newcomer_key(newcomer_id), mentor_key(m.mentor_id))] = None

    loaded = tuple(
        _with_load(m, fixed_load.get(mentor_id_of(m.id), 0), active_codes)
        for m in sorted(mentors, key=lambda m: mentor_id_of(m.id))
    )
    newcomers: list[mm.Newcomer] = []
    row = session.execute(
        _newcomer_columns().where(NewcomerRow.id == newcomer_id, NewcomerRow.active.is_(True))
    ).one_or_none()
    if row is not None:
        [(languages, asked, interests)] = _decode_json([row], 3)
        requested = tuple(
            dict.fromkeys(p for p in (asked or ()) if p in active_codes and p not in closed)
        )
        if requested:
            newcomers.append(
                mm.Newcomer(
                    id=newcomer_key(row.id),
                    languages=tuple(languages or ()),
                    municipality=row.municipality,
                    programmes=requested,
                    lat=row.lat,
                    lon=row.lon,
                    max_distance_km=row.max_distance_km,
                    age=age_on(row.birth_date, today),
                    gender=_gender(row.gender),
                    interests=tuple(interests or ()),
                    mentor_gender=_gender(row.mentor_gender),
                    waiting_days=waiting_days(row.registered_at, today),
                )
            )
    problem = mm.Problem(
        mentors=loaded,
        newcomers=tuple(newcomers),
        policy=policy or mm.Policy(),
        programmes=programmes,
        fixed=tuple(mm.Assignment(*triple) for triple in fixed),
        forbidden=tuple(mm.ForbiddenPair(n, m) for n, m in forbidden),
    )
    return Snapshot(
        problem=problem,
        today=today,
        newcomer_ids={n.id: newcomer_id for n in newcomers},
        mentor_ids={m.id: mentor_id_of(m.id) for m in loaded},
    )


def _among(session: Session, column: Any, ids: Sequence[int]) -> Any:
    """``column IN ids``; on PostgreSQL as ``= ANY(array)``, one parameter however many ids."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


def _with_load(mentor: mm.Mentor, load: int, active_codes: frozenset[str]) -> mm.Mentor:
    """A mentor of :func:`read_mentors` with only active programmes and room for ``load``."""
    programmes = tuple(p for p in mentor.programmes if p in active_codes)
    capacity = max(mentor.capacity, load, 1)
    if programmes == mentor.programmes and capacity == mentor.capacity:
        return mentor
    return replace(mentor, programmes=programmes, capacity=capacity)


def _mentor_columns() -> Select[Any]:
    """The mentor columns the solver reads (JSON ones last, as texts); as in load_problem."""
    return select(
        MentorRow.id,
        MentorRow.municipality,
        MentorRow.capacity,
        MentorRow.lat,
        MentorRow.lon,
        MentorRow.max_distance_km,
        MentorRow.gender,
        MentorRow.birth_year,
        MentorRow.child_certificate,
        _text(MentorRow.languages),
        _text(MentorRow.programmes),
        _text(MentorRow.interests),
        _text(MentorRow.accepts_genders),
    ).order_by(MentorRow.id)


def _newcomer_columns() -> Select[Any]:
    """The newcomer columns the solver reads (JSON ones last, as texts); as in load_problem."""
    return select(
        NewcomerRow.id,
        NewcomerRow.municipality,
        NewcomerRow.lat,
        NewcomerRow.lon,
        NewcomerRow.max_distance_km,
        NewcomerRow.birth_date,
        NewcomerRow.gender,
        NewcomerRow.mentor_gender,
        NewcomerRow.registered_at,
        _text(NewcomerRow.languages),
        _text(NewcomerRow.programmes),
        _text(NewcomerRow.interests),
    )


@dataclass(frozen=True, slots=True)
class ProposedMatch:
    """A match of a solution in database ids; ``kept_id`` is the proposal row it keeps."""

    newcomer_id: int
    mentor_id: int
    programme: str
    score: float
    components: dict[str, float]
    distance_km: float
    kept_id: int | None


@dataclass(frozen=True, slots=True)
class UnmatchedRequest:
    """An unmatched request in database ids, with the newcomer's place and first language."""

    newcomer_id: int
    programme: str
    municipality: str
    language: str
    reason: str
    passed: dict[str, int]


@dataclass(frozen=True, slots=True)
class Outcome:
    """A solution translated back to the database's terms (no ``matching`` types)."""

    matches: tuple[ProposedMatch, ...]
    unmatched: tuple[UnmatchedRequest, ...]
    stats: dict[str, Any]


def solve_snapshot(snapshot: Snapshot) -> Outcome:
    """Solve the snapshot's problem exactly and translate the solution to database ids.

    Raises :class:`matching.ProblemError` when the stored data is not a valid problem.
    """
    solution = solve(snapshot.problem)
    people = {n.id: n for n in snapshot.problem.newcomers}
    matches = tuple(
        ProposedMatch(
            newcomer_id=newcomer_id_of(m.newcomer),
            mentor_id=mentor_id_of(m.mentor),
            programme=m.programme,
            score=m.score,
            components={
                "language": m.components.language,
                "distance": m.components.distance,
                "interests": m.components.interests,
                "age": m.components.age,
            },
            distance_km=m.distance_km,
            kept_id=snapshot.proposals.get((m.newcomer, m.mentor, m.programme)) if m.kept else None,
        )
        for m in solution.matches
    )
    unmatched = tuple(
        UnmatchedRequest(
            newcomer_id=newcomer_id_of(u.newcomer),
            programme=u.programme,
            municipality=people[u.newcomer].municipality,
            language=people[u.newcomer].languages[0],
            reason=u.reason,
            passed=dict(u.passed),
        )
        for u in solution.unmatched
    )
    s = solution.stats
    stats: dict[str, Any] = {
        "requests": s.requests,
        "mentors": s.mentors,
        "candidates": s.candidates,
        "matched": s.matched,
        "objective": s.objective,
        "optimal": s.optimal,
    }
    return Outcome(matches=matches, unmatched=unmatched, stats=stats)
