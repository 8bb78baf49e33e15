"""The one bridge between the ORM and the matching library.

This is the only module that imports both ``app.models`` and ``matching``. It reads the rows
the solver needs (sorted by id, so the same database gives the same problem), turns them into
``matching`` dataclasses, and keeps the maps between the solver's string ids and the database's
integer ids. Only what the rules and the score read crosses: no names, e-mails or phones.

What the solver sees (the stored matches' roles are :mod:`app.matches.standing`'s):

- ``programmes``: every programme row (inactive ones too, so that an accepted match in a
  programme since retired still validates); people's programme lists keep only active ones.
- ``mentors``: active mentors. A mentor whose accepted load exceeds a since-lowered capacity is
  given ``capacity = load`` (full, never negative).
- ``newcomers``: active newcomers with at least one *open request* — a requested, active
  programme without an accepted match and without a pending manual proposal (a coordinator
  who proposed a mentor by hand is handling that request: a run leaves it, and the manual
  proposal, alone).
- ``households``: every household with a member among those newcomers; members without an
  open request of their own (children, say) come along with no programmes, so the rules can
  read every member. A household programme is requested by the contact person only (a
  member's own listing of one is left out).
- ``fixed``: accepted matches of active mentors (they use up places; group programmes' use
  the trainer's group, not ``capacity``).
- ``previous``: solver proposals whose request is still open (the keep bonus).
- ``forbidden``: rejected and ended (newcomer, mentor) pairs: a pair a coordinator turned
  down, or whose mentorship is over, is not proposed again; and the pairs of pending manual
  proposals, for their housemates too (a newcomer never gets the same mentor twice, read
  household-wide: :func:`never_twice`).

:func:`check_pair` holds one (newcomer, mentor, programme) to the same rules and score
(``matching.check_pair``), for manual proposals and the re-check when accepting.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any

import orjson
from sqlalchemy import Integer, Select, Text, any_, bindparam, cast, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app import clock
from app.matches.standing import SHAPING, Standing, StoredMatch, classify, read_standing
from app.models import HouseholdMember as MemberRow
from app.models import Match as MatchRow
from app.models import MatchStatus
from app.models import Mentor as MentorRow
from app.models import Newcomer as NewcomerRow
from app.models import Programme as ProgrammeRow
from matching import check_pair as check_pair_rules
from matching import model as mm
from matching import solve

_GENDERS = frozenset({"female", "male", "other"})


def newcomer_key(newcomer_id: int) -> str:
    """The solver's id of a newcomer row."""
    return f"n{newcomer_id}"


def mentor_key(mentor_id: int) -> str:
    """The solver's id of a mentor row."""
    return f"m{mentor_id}"


def household_key(household_id: int) -> str:
    """The solver's id of a household row."""
    return f"h{household_id}"


def household_id_of(key: str) -> int:
    """The database id behind a solver household id."""
    return int(key[1:])


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
    """A JSON column read as its text, for :func:`decode_json`."""
    return cast(column, Text)


def decode_json(rows: Sequence[Any], count: int) -> list[list[Any]]:
    """The last ``count`` columns of each row (JSON texts), decoded with one ``json.loads``.

    Tens of thousands of tiny ``json.loads`` calls (one per value, as the drivers do) cost
    more than the parsing itself; one call on the joined texts is several times faster.
    """
    parts = ",".join(
        "[" + ",".join(value or "null" for value in row[-count:]) + "]" for row in rows
    )
    text = f"[{parts}]"
    try:
        # orjson: the same values (lists of strings) several times faster than json.
        decoded: list[list[Any]] = orjson.loads(text)
    except orjson.JSONDecodeError:
        decoded = json.loads(text)  # what orjson refuses (a lone surrogate) json may read
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
            ProgrammeRow.unit,
            ProgrammeRow.group_min,
            ProgrammeRow.group_max,
        ).order_by(ProgrammeRow.code)
    ).all()
    programmes = tuple(
        mm.Programme(
            code=r.code,
            min_age=r.min_age,
            max_age=r.max_age,
            requires_language=r.requires_language,
            requires_first_language=bool(r.requires_first_language),
            unit=r.unit,
            group_min=r.group_min,
            group_max=r.group_max,
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
    today = today or clock.today()
    households = _households(session)
    wanted = None if newcomer_ids is None else _with_housemates(newcomer_ids, households)
    programmes, active_codes = _programmes(session)
    standing = read_standing(session)
    mentors, mentor_ids = _mentors(session, standing, programmes, active_codes, today)
    newcomers, newcomer_ids_map = _newcomers(
        session, wanted, standing.closed_requests(), active_codes, today
    )
    newcomers, problem_households = _with_households(
        session, newcomers, newcomer_ids_map, households, programmes, today
    )
    links = _links(
        standing, wanted, set(mentor_ids.values()), newcomers, problem_households, programmes
    )
    problem = mm.Problem(
        mentors=mentors,
        newcomers=newcomers,
        policy=policy or mm.Policy(),
        programmes=programmes,
        fixed=links.fixed,
        previous=links.previous,
        forbidden=links.forbidden,
        households=problem_households,
    )
    return Snapshot(
        problem=problem,
        today=today,
        newcomer_ids=newcomer_ids_map,
        mentor_ids=mentor_ids,
        proposals=links.proposals,
        stale_proposals=links.stale,
    )


def _mentors(
    session: Session,
    standing: Standing,
    programmes: Sequence[mm.Programme],
    active_codes: frozenset[str],
    today: date,
) -> tuple[tuple[mm.Mentor, ...], dict[str, int]]:
    """Active mentors, by id, with their solver ids.

    A mentor whose accepted load exceeds a since-lowered capacity is full (never negative);
    accepted group participants are the trainer's group, not their load.
    """
    groups = group_codes(programmes)
    load = Counter(m.mentor_id for m in standing.fixed if m.programme not in groups)
    mentors = tuple(
        _with_load(m, load.get(mentor_id_of(m.id), 0), active_codes)
        for m in read_mentors(session, today=today)
    )
    return mentors, {m.id: mentor_id_of(m.id) for m in mentors}


def _newcomers(
    session: Session,
    wanted: frozenset[int] | None,
    closed: set[tuple[int, str]],
    active_codes: frozenset[str],
    today: date,
) -> tuple[tuple[mm.Newcomer, ...], dict[str, int]]:
    """Active newcomers (of ``wanted``) with at least one open request, by id.

    An open request is a requested, active programme that is not ``closed`` (accepted, or
    proposed by hand); the newcomer's programmes are their open requests only.
    """
    query = _newcomer_columns().where(NewcomerRow.active.is_(True)).order_by(NewcomerRow.id)
    if wanted is not None:
        query = query.where(NewcomerRow.id.in_(sorted(wanted)))
    rows = session.execute(query).all()
    newcomers: list[mm.Newcomer] = []
    ids: dict[str, int] = {}
    for nr, (languages, asked, interests) in zip(rows, decode_json(rows, 3), strict=True):
        requested = tuple(
            dict.fromkeys(
                p for p in (asked or ()) if p in active_codes and (nr.id, p) not in closed
            )
        )
        if not requested:
            continue
        person = _newcomer_of(nr, languages, interests, requested, today)
        ids[person.id] = nr.id
        newcomers.append(person)
    return tuple(newcomers), ids


def group_codes(programmes: Sequence[mm.Programme]) -> frozenset[str]:
    """The codes of the ``unit: group`` programmes."""
    return frozenset(p.code for p in programmes if p.unit == "group")


def _households(session: Session) -> dict[int, list[int]]:
    """Every household's members (contact person first), by household id."""
    rows = session.execute(
        select(MemberRow.household_id, MemberRow.newcomer_id).order_by(
            MemberRow.household_id, MemberRow.position
        )
    ).all()
    found: dict[int, list[int]] = {}
    for household_id, newcomer_id in rows:
        found.setdefault(household_id, []).append(newcomer_id)
    return found


def _households_of(session: Session, newcomer_id: int) -> dict[int, list[int]]:
    """The households the newcomer belongs to, with all their members (contact person
    first): :func:`_households` narrowed to them in the database."""
    theirs = select(MemberRow.household_id).where(MemberRow.newcomer_id == newcomer_id)
    rows = session.execute(
        select(MemberRow.household_id, MemberRow.newcomer_id)
        .where(MemberRow.household_id.in_(theirs.scalar_subquery()))
        .order_by(MemberRow.household_id, MemberRow.position)
    ).all()
    found: dict[int, list[int]] = {}
    for household_id, member_id in rows:
        found.setdefault(household_id, []).append(member_id)
    return found


def _with_housemates(
    newcomer_ids: Collection[int], households: dict[int, list[int]]
) -> frozenset[int]:
    """``newcomer_ids`` and everyone who shares a household with one of them."""
    wanted = set(newcomer_ids)
    for members in households.values():
        if wanted.intersection(members):
            wanted.update(members)
    return frozenset(wanted)


def _with_households(
    session: Session,
    newcomers: tuple[mm.Newcomer, ...],
    ids: dict[str, int],
    households: dict[int, list[int]],
    programmes: Sequence[mm.Programme],
    today: date,
) -> tuple[tuple[mm.Newcomer, ...], tuple[mm.Household, ...]]:
    """The newcomers with every member of their households, and those households.

    A member other than the contact person keeps no household programme (the household asks
    for it through its contact); a member without open requests comes with no programmes.
    ``ids`` gains the members added.
    """
    present = {newcomer_id_of(n.id) for n in newcomers}
    chosen = {h: members for h, members in households.items() if present.intersection(members)}
    if not chosen:
        return newcomers, ()
    household_codes = frozenset(p.code for p in programmes if p.unit == "household")
    contacts = {members[0] for members in chosen.values()}
    people = {
        newcomer_id_of(n.id): (
            n
            if newcomer_id_of(n.id) in contacts
            else replace(n, programmes=tuple(p for p in n.programmes if p not in household_codes))
        )
        for n in newcomers
    }
    missing = sorted({m for members in chosen.values() for m in members} - present)
    if missing:
        rows = session.execute(_newcomer_columns().where(NewcomerRow.id.in_(missing))).all()
        for nr, (languages, _asked, interests) in zip(rows, decode_json(rows, 3), strict=True):
            person = _newcomer_of(nr, languages, interests, (), today)
            people[nr.id] = person
            ids[person.id] = nr.id
    stored = {h: [m for m in members if m in people] for h, members in chosen.items()}
    return (
        tuple(people[i] for i in sorted(people)),
        tuple(
            mm.Household(id=household_key(h), members=tuple(newcomer_key(m) for m in members))
            for h, members in sorted(stored.items())
            if members
        ),
    )


@dataclass(frozen=True, slots=True)
class _Links:
    """The problem's fixed, previous and forbidden pairs, and the proposal rows behind them."""

    fixed: tuple[mm.Assignment, ...]
    previous: tuple[mm.Assignment, ...]
    forbidden: tuple[mm.ForbiddenPair, ...]
    proposals: dict[tuple[str, str, str], int]
    stale: tuple[int, ...]


def _links(
    standing: Standing,
    wanted: frozenset[int] | None,
    active_mentors: set[int],
    newcomers: Sequence[mm.Newcomer],
    households: Sequence[mm.Household],
    programmes: Sequence[mm.Programme],
) -> _Links:
    """Turn the standing matches into the problem's links (only active mentors' count).

    - ``fixed``: every accepted match (its load counts whoever the newcomers read are).
    - ``previous``: solver proposals of newcomers read whose request is still open; the
      others of those newcomers are ``stale`` (a run supersedes them).
    - ``forbidden``: pairs rejected, ended or proposed by hand (of newcomers read), and the
      housemates' pairs with a mentor proposed by hand (:func:`_held_by_housemates`).
    """

    def in_scope(m: StoredMatch) -> bool:
        return (wanted is None or m.newcomer_id in wanted) and m.mentor_id in active_mentors

    def triple(m: StoredMatch) -> tuple[str, str, str]:
        return (newcomer_key(m.newcomer_id), mentor_key(m.mentor_id), m.programme)

    fixed = dict.fromkeys(triple(m) for m in standing.fixed if m.mentor_id in active_mentors)
    open_requests = {(newcomer_id_of(n.id), p) for n in newcomers for p in n.programmes}
    proposals: dict[tuple[str, str, str], int] = {}
    stale: list[int] = []
    for m in standing.previous:
        if wanted is not None and m.newcomer_id not in wanted:
            continue
        if in_scope(m) and m.request in open_requests and triple(m) not in proposals:
            proposals[triple(m)] = m.id
        else:
            stale.append(m.id)
    blocking = sorted((*standing.manual, *standing.forbidden), key=lambda m: m.id)
    forbidden = dict.fromkeys(triple(m)[:2] for m in blocking if in_scope(m))
    manual = [m for m in standing.manual if in_scope(m)]
    forbidden.update(dict.fromkeys(_held_by_housemates(manual, households, newcomers, programmes)))
    return _Links(
        fixed=tuple(mm.Assignment(*t) for t in fixed),
        previous=tuple(mm.Assignment(*t) for t in proposals),
        forbidden=tuple(mm.ForbiddenPair(n, m) for n, m in forbidden),
        proposals=proposals,
        stale=tuple(stale),
    )


def _held_by_housemates(
    manual: Sequence[StoredMatch],
    households: Sequence[mm.Household],
    newcomers: Sequence[mm.Newcomer],
    programmes: Sequence[mm.Programme],
) -> list[tuple[str, str]]:
    """The (housemate, mentor) pairs that pending manual proposals forbid (:func:`never_twice`).

    A manual proposal closes its request and forbids its own pair, which keeps the mentor from
    the newcomer's other requests and from the household's (the household's row reads every
    member's forbidden pairs). A housemate's own requests need the pair forbidden for them too.
    A forbidden pair holds for all of a newcomer's requests, so it is added when the rule
    blocks any of them: a housemate asking for a person and a group programme is then kept
    from the group of a member's pending manual group place too, while it is pending (the one
    case where a run is stricter than the rule).
    """
    household_codes = {p.code for p in programmes if p.unit == "household"}
    groups = group_codes(programmes)
    own = {
        newcomer_id_of(n.id): [p for p in n.programmes if p not in household_codes]
        for n in newcomers
    }
    housemates: dict[int, list[int]] = {}
    for h in households:
        ids = [newcomer_id_of(k) for k in h.members]
        for i in ids:
            housemates[i] = [j for j in ids if j != i]
    return [
        (newcomer_key(other), mentor_key(m.mentor_id))
        for m in manual
        for other in housemates.get(m.newcomer_id, ())
        if any(never_twice(m, other, p, groups) for p in own.get(other, ()))
    ]


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
            rows, decode_json(rows, 4), strict=True
        )
    )


@dataclass(frozen=True, slots=True)
class SuggestionPeople:
    """One newcomer's side of a suggestion problem (:func:`suggestion_people`): the newcomer
    (with their open requests; absent without any) and their household's members, and the
    stored matches of all of them that shape suggestions."""

    newcomer_id: int
    programmes: tuple[mm.Programme, ...]
    active_codes: frozenset[str]
    newcomers: tuple[mm.Newcomer, ...]
    households: tuple[mm.Household, ...]
    ids: dict[str, int]
    #: Manual, rejected and ended matches (their pairs are forbidden), in id order.
    blocking: tuple[StoredMatch, ...]
    #: Proposed matches, solver's and manual (:func:`elsewhere`), in id order.
    live: tuple[StoredMatch, ...]

    def problem(self, policy: mm.Policy | None = None) -> mm.Problem:
        """The people without mentors: what :func:`matching.request_reading` needs."""
        return mm.Problem(
            mentors=(),
            newcomers=self.newcomers,
            policy=policy or mm.Policy(),
            programmes=self.programmes,
            households=self.households,
        )


def suggestion_people(session: Session, newcomer_id: int, *, today: date) -> SuggestionPeople:
    """The newcomer's side of :func:`suggestion_problem`, read in a few rows: the newcomer as
    ``load_problem(session, newcomer_ids=[newcomer_id])`` gives them (the same open
    requests), their household (members read together for a household programme), and the
    matches of every member that shape suggestions."""
    programmes, active_codes = _programmes(session)
    columns = (MatchRow.id, MatchRow.newcomer_id, MatchRow.mentor_id, MatchRow.programme)

    def matches_of(ids: Sequence[int]) -> Standing:
        return classify(
            session.execute(
                select(*columns, MatchRow.status, MatchRow.source, MatchRow.score)
                .where(MatchRow.newcomer_id.in_(ids), MatchRow.status.in_(SHAPING))
                .order_by(MatchRow.id)
            ).all()
        )

    own = matches_of([newcomer_id])
    # The same reading of the newcomer's own matches as load_problem's (standing.classify):
    # accepted and manual proposals close their request; manual, rejected and ended block
    # their pair.
    closed = {m.programme for m in (*own.fixed, *own.manual)}
    newcomers: list[mm.Newcomer] = []
    row = session.execute(
        _newcomer_columns().where(NewcomerRow.id == newcomer_id, NewcomerRow.active.is_(True))
    ).one_or_none()
    if row is not None:
        [(languages, asked, interests)] = decode_json([row], 3)
        requested = tuple(
            dict.fromkeys(p for p in (asked or ()) if p in active_codes and p not in closed)
        )
        if requested:
            newcomers.append(_newcomer_of(row, languages, interests, requested, today))
    ids_map = {n.id: newcomer_id for n in newcomers}
    households: tuple[mm.Household, ...] = ()
    standing = own
    if newcomers:
        # The newcomer's household comes along (members read together for a household
        # programme); the members' own blocked pairs count for the household's request.
        mine = _households_of(session, newcomer_id)
        newcomers_t, households = _with_households(
            session, tuple(newcomers), ids_map, mine, programmes, today
        )
        newcomers = list(newcomers_t)
        if len(ids_map) > 1:
            standing = matches_of(sorted(ids_map.values()))
    return SuggestionPeople(
        newcomer_id=newcomer_id,
        programmes=programmes,
        active_codes=active_codes,
        newcomers=tuple(newcomers),
        households=households,
        ids=ids_map,
        blocking=tuple(sorted((*standing.manual, *standing.forbidden), key=lambda m: m.id)),
        live=tuple(sorted((*standing.previous, *standing.manual), key=lambda m: m.id)),
    )


def suggestion_problem(
    session: Session,
    people: SuggestionPeople,
    mentors: Sequence[mm.Mentor],
    *,
    today: date,
    policy: mm.Policy | None = None,
    ids: Sequence[int] | None = None,
    listed: frozenset[str] | None = None,
) -> Snapshot:
    """The newcomer of ``people`` against only ``mentors`` (from :func:`read_mentors`).

    The newcomer and these mentors come out exactly as
    ``load_problem(session, newcomer_ids=[newcomer_id])`` gives them (the same open requests,
    capacities, programmes, forbidden pairs), but only these mentors' accepted matches are
    read, as ``fixed`` (their load). A caller that passes every mentor who could pass the
    programme, language and distance rules gets the same candidates and, from the distance
    rule on, the same ``passed`` counts.

    A caller that knows more saves the work: ``ids``, the mentors' database ids, when
    ``mentors`` are already in id order; ``listed``, every programme they list, when every
    one's capacity is at least 1 (then, with all of ``listed`` active, only a mentor with
    accepted load can need a changed copy, :func:`_with_load`).
    """
    if ids is None:
        by_id = sorted(((mentor_id_of(m.id), m) for m in mentors), key=lambda pair: pair[0])
        ids = [mentor_id for mentor_id, _ in by_id]
        mentors = [m for _, m in by_id]
    columns = (MatchRow.id, MatchRow.newcomer_id, MatchRow.mentor_id, MatchRow.programme)
    accepted = (
        session.execute(
            select(*columns)
            .where(
                MatchRow.status == MatchStatus.ACCEPTED,
                _among(session, MatchRow.mentor_id, ids),
            )
            .order_by(MatchRow.id)
        ).all()
        if len(ids)
        else []
    )
    fixed_load: dict[int, int] = defaultdict(int)
    fixed: dict[tuple[str, str, str], None] = {}
    groups = group_codes(people.programmes)
    for a in accepted:
        if a.programme not in groups:
            fixed_load[a.mentor_id] += 1
        fixed[(newcomer_key(a.newcomer_id), mentor_key(a.mentor_id), a.programme)] = None
    blocking = people.blocking
    present = set(ids) if blocking else set()
    forbidden = dict.fromkeys(
        (newcomer_key(m.newcomer_id), mentor_key(m.mentor_id))
        for m in blocking
        if m.mentor_id in present
    )
    active = people.active_codes
    if listed is not None and active.issuperset(listed):
        # Only a mentor with load can change (its capacity may be below its load).
        loaded = list(mentors)
        if fixed_load:
            position = {mentor_id: i for i, mentor_id in enumerate(ids)}
            for mentor_id, load in fixed_load.items():
                i = position[mentor_id]
                loaded[i] = _with_load(loaded[i], load, active)
    else:
        loaded = [
            _with_load(m, fixed_load.get(mentor_id, 0), active)
            for mentor_id, m in zip(ids, mentors, strict=True)
        ]
    problem = mm.Problem(
        mentors=tuple(loaded),
        newcomers=people.newcomers,
        policy=policy or mm.Policy(),
        programmes=people.programmes,
        fixed=tuple(mm.Assignment(*triple) for triple in fixed),
        forbidden=tuple(mm.ForbiddenPair(n, m) for n, m in forbidden),
        households=people.households,
    )
    return Snapshot(
        problem=problem,
        today=today,
        newcomer_ids=dict(people.ids),
        mentor_ids=dict(zip(map(attrgetter("id"), loaded), map(int, ids), strict=True)),
    )


def never_twice(
    live: StoredMatch, newcomer_id: int, programme: str, groups: Collection[str]
) -> bool:
    """Whether ``live``, a live match of the newcomer or a housemate, keeps its mentor from the
    request (``newcomer_id``, ``programme``): the never-twice rule read household-wide
    (MATCHING.md), for a proposal as for an accepted match (the engine's ``fixed``). Any other
    request of the household is blocked, except that two members may join one trainer's
    group: a housemate's place in a group programme does not block a group request. The one
    reading of this rule for suggestions (:func:`elsewhere`), manual proposals
    (:func:`check_pair`) and runs (:func:`load_problem`)."""
    return live.request != (newcomer_id, programme) and not (
        live.newcomer_id != newcomer_id and programme in groups and live.programme in groups
    )


def elsewhere(
    problem: mm.Problem, live: Sequence[StoredMatch], newcomer_id: int, programme: str
) -> mm.Problem:
    """``problem`` for the request (``newcomer_id``, ``programme``) while the household's other
    requests have live proposals: a mentor :func:`never_twice` keeps from it is ``forbidden``
    for the newcomer, as an accepted match already is (``fixed``). ``live`` holds the
    proposals of the newcomer and their housemates (:attr:`SuggestionPeople.live`)."""
    groups = group_codes(problem.programmes)
    kept = [m for m in live if never_twice(m, newcomer_id, programme, groups)]
    if not kept:
        return problem
    mentors = {m.id for m in problem.mentors}
    key = newcomer_key(newcomer_id)
    extra = [
        mm.ForbiddenPair(key, mentor_key(m.mentor_id))
        for m in kept
        if mentor_key(m.mentor_id) in mentors
    ]
    if not extra:
        return problem
    return replace(problem, forbidden=tuple(dict.fromkeys((*problem.forbidden, *extra))))


def _among(session: Session, column: Any, ids: Sequence[int]) -> Any:
    """``column IN ids``; on PostgreSQL as ``= ANY(array)``, one parameter however many ids."""
    if session.get_bind().dialect.name == "postgresql":
        # One array literal: psycopg's dump of a list costs a few milliseconds per 2,000 ids.
        literal = "{" + ",".join(map(str, ids)) + "}"
        return column == any_(cast(bindparam("ids", literal, type_=Text), ARRAY(Integer)))
    return column.in_(ids)


def _with_load(mentor: mm.Mentor, load: int, active_codes: frozenset[str]) -> mm.Mentor:
    """A mentor of :func:`read_mentors` with only active programmes and room for ``load``
    (the very object when it has both)."""
    if 1 <= mentor.capacity >= load and active_codes.issuperset(mentor.programmes):
        return mentor
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


def _newcomer_of(
    row: Any,
    languages: list[str] | None,
    interests: list[str] | None,
    requested: tuple[str, ...],
    today: date,
) -> mm.Newcomer:
    """The solver's newcomer from a row of :func:`_newcomer_columns` (its JSON decoded),
    asking for ``requested``."""
    return mm.Newcomer(
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
    household_id: int | None = None


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    """A trainer's group of a solution in database ids (participants sorted)."""

    programme: str
    mentor_id: int
    newcomer_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class UnmatchedRequest:
    """An unmatched request in database ids, with the newcomer's place and first language."""

    newcomer_id: int
    programme: str
    municipality: str
    language: str
    reason: str
    passed: dict[str, int]
    group_shortfall: dict[str, int] | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A solution translated back to the database's terms (no ``matching`` types)."""

    matches: tuple[ProposedMatch, ...]
    unmatched: tuple[UnmatchedRequest, ...]
    stats: dict[str, Any]
    groups: tuple[GroupOutcome, ...] = ()


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
            components=_components(m.components),
            distance_km=m.distance_km,
            kept_id=snapshot.proposals.get((m.newcomer, m.mentor, m.programme)) if m.kept else None,
            household_id=None if m.household is None else household_id_of(m.household),
        )
        for m in solution.matches
    )
    groups = tuple(
        GroupOutcome(
            programme=g.programme,
            mentor_id=mentor_id_of(g.mentor),
            newcomer_ids=tuple(sorted(newcomer_id_of(n) for n in g.members)),
        )
        for g in solution.groups
    )
    unmatched = tuple(
        UnmatchedRequest(
            newcomer_id=newcomer_id_of(u.newcomer),
            programme=u.programme,
            municipality=people[u.newcomer].municipality,
            language=people[u.newcomer].languages[0],
            reason=u.reason,
            passed=dict(u.passed),
            group_shortfall=None
            if u.group is None
            else {"waiting": u.group.waiting, "group_min": u.group.group_min},
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
        "groups": len(groups),
    }
    if s.gap:
        stats["gap"] = s.gap
    return Outcome(matches=matches, unmatched=unmatched, stats=stats, groups=groups)


def _components(parts: mm.Components) -> dict[str, float]:
    """Score components as a match row stores them."""
    return {
        "language": parts.language,
        "distance": parts.distance,
        "interests": parts.interests,
        "age": parts.age,
    }


@dataclass(frozen=True, slots=True)
class PairVerdict:
    """One (newcomer, mentor, programme) held to the solver's hard rules, in database terms.

    ``failed`` names the rules the pair breaks (``matching.RULES`` order; ``capacity`` counts
    accepted matches only); score, components and distance are the solver's own.
    """

    failed: tuple[str, ...]
    score: float
    components: dict[str, float]
    distance_km: float


def check_pair(
    session: Session,
    newcomer: NewcomerRow,
    mentor: MentorRow,
    programme: str,
    *,
    today: date | None = None,
) -> PairVerdict:
    """Evaluate every hard rule and the score of one pair with ``matching.check_pair``.

    The rows are taken as they are now (the caller may have locked them). ``fixed`` is the
    mentor's accepted matches (the places they use; an accepted match of this very pair makes
    it ``forbidden``), ``forbidden`` this pair's rejected and ended matches. Every programme
    row is known, so a proposal in a programme retired since is judged by its own bounds.
    A household programme's request of a household's contact person is the household's: every
    member is read, and the rules hold member-wise (a child needs a certified mentor). Any
    member's request reads the household too: a mentor already fixed for one member, or
    proposed to one for another request, is ``forbidden`` for every member (the never-twice
    rule across the household, :func:`never_twice`).
    """
    today = today or clock.today()
    programmes, _active = _programmes(session)
    known = {p.code for p in programmes}
    unit = next((p.unit for p in programmes if p.code == programme), "person")
    members = _household_members(session, newcomer.id)
    if unit == "household" and members[:1] != [newcomer.id]:
        members = []  # only the contact person asks for a household programme
    others = [i for i in members if i != newcomer.id]
    housemates = {
        row.id: row
        for row in session.scalars(select(NewcomerRow).where(NewcomerRow.id.in_(others)))
    }
    people = [newcomer] + [housemates[i] for i in others if i in housemates]
    person_ids = [p.id for p in people]
    present = set(person_ids)
    rows = session.execute(
        select(MatchRow.id, MatchRow.newcomer_id, MatchRow.programme, MatchRow.status)
        .where(
            MatchRow.mentor_id == mentor.id,
            (MatchRow.status == MatchStatus.ACCEPTED)
            | (
                MatchRow.newcomer_id.in_(person_ids)
                & MatchRow.status.in_(
                    (MatchStatus.PROPOSED, MatchStatus.REJECTED, MatchStatus.ENDED)
                )
            ),
        )
        .order_by(MatchRow.id)
    ).all()
    m_key, n_key = mentor_key(mentor.id), newcomer_key(newcomer.id)
    groups = group_codes(programmes)
    fixed = tuple(
        dict.fromkeys(
            mm.Assignment(newcomer_key(r.newcomer_id), m_key, r.programme)
            for r in rows
            if r.status == MatchStatus.ACCEPTED
        )
    )
    load = len({(f.newcomer, f.programme) for f in fixed if f.programme not in groups})
    forbidden = tuple(
        dict.fromkeys(
            mm.ForbiddenPair(newcomer_key(r.newcomer_id), m_key)
            for r in rows
            if r.status in (MatchStatus.REJECTED, MatchStatus.ENDED)
        )
    )
    live = [
        StoredMatch(r.id, r.newcomer_id, mentor.id, r.programme, None)
        for r in rows
        if r.status == MatchStatus.PROPOSED
    ]
    newcomers = tuple(
        _row_newcomer(p, (programme,) if p.id == newcomer.id else (), today) for p in people
    )
    problem = mm.Problem(
        mentors=(
            mm.Mentor(
                id=m_key,
                languages=tuple(mentor.languages or ()),
                municipality=mentor.municipality,
                programmes=tuple(p for p in (mentor.programmes or ()) if p in known),
                capacity=max(int(mentor.capacity), load, 1),
                lat=mentor.lat,
                lon=mentor.lon,
                max_distance_km=mentor.max_distance_km,
                interests=tuple(mentor.interests or ()),
                gender=_gender(mentor.gender),
                age=age_from_year(mentor.birth_year, today),
                accepts_genders=(
                    None if mentor.accepts_genders is None else tuple(mentor.accepts_genders)
                ),
                child_certificate=bool(mentor.child_certificate),
            ),
        ),
        newcomers=newcomers,
        programmes=programmes,
        fixed=fixed,
        forbidden=forbidden,
        households=(
            (
                mm.Household(
                    household_key(members[0]),
                    tuple(newcomer_key(i) for i in members if i in present),
                ),
            )
            if len(present) > 1
            else ()
        ),
    )
    found = check_pair_rules(
        elsewhere(problem, live, newcomer.id, programme), n_key, m_key, programme
    )
    return PairVerdict(
        failed=found.failed,
        score=found.score,
        components=_components(found.components),
        distance_km=found.distance_km,
    )


def _household_members(session: Session, newcomer_id: int) -> list[int]:
    """The members of the newcomer's household (contact first); empty when in none."""
    household = session.scalar(
        select(MemberRow.household_id).where(MemberRow.newcomer_id == newcomer_id)
    )
    if household is None:
        return []
    return list(
        session.scalars(
            select(MemberRow.newcomer_id)
            .where(MemberRow.household_id == household)
            .order_by(MemberRow.position)
        )
    )


def _row_newcomer(row: NewcomerRow, programmes: tuple[str, ...], today: date) -> mm.Newcomer:
    """The solver's newcomer of an ORM row, asking for ``programmes``."""
    return mm.Newcomer(
        id=newcomer_key(row.id),
        languages=tuple(row.languages or ()),
        municipality=row.municipality,
        programmes=programmes,
        lat=row.lat,
        lon=row.lon,
        max_distance_km=row.max_distance_km,
        age=age_on(row.birth_date, today),
        gender=_gender(row.gender),
        interests=tuple(row.interests or ()),
        mentor_gender=_gender(row.mentor_gender),
        waiting_days=waiting_days(row.registered_at, today),
    )
