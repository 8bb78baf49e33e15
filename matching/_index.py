"""A validated Problem turned into numpy arrays, in a canonical order (sorted by id).

Sorting by id makes the solver's output independent of the input order. Everything the rules
and the score read is here, so they never touch the dataclasses per pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import chain
from operator import attrgetter
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from matching._jit import pair_jit
from matching.geo import municipalities
from matching.model import Household, Mentor, Newcomer, Policy, Problem, Programme
from matching.validate import valid_mentors

Int32 = npt.NDArray[np.int32]
Int64 = npt.NDArray[np.int64]
Float64 = npt.NDArray[np.float64]
UInt64 = npt.NDArray[np.uint64]
Bool = npt.NDArray[np.bool_]

GENDER_CODES = {"female": 0, "male": 1, "other": 2}
#: Bit 3 of a mentor's ``accepts`` mask: no ``accepts_genders`` listed, any newcomer is fine.
ACCEPTS_ANY = 0b1000
#: Bit 3 of a newcomer row's ``genders`` mask: someone whose gender the rule reads is unknown.
GENDER_UNKNOWN = 0b1000
#: A household member of at least this age is an adult (the language and gender rules).
ADULT_AGE = 18
#: Programme units as integers (``prog_unit``).
PERSON, HOUSEHOLD, GROUP = 0, 1, 2
_UNIT_CODES = {"person": PERSON, "household": HOUSEHOLD, "group": GROUP}


def _bitsets(sets: Sequence[Iterable[str]], vocabulary: dict[str, int]) -> UInt64:
    """One row of 64-bit words per set; bit ``vocabulary[x]`` is set for each member x."""
    words = max(1, (len(vocabulary) + 63) // 64)
    # People share a few distinct lists: each distinct one is made into a mask once.
    masks: dict[tuple[str, ...], int] = {}
    rows: list[int] = []
    for members in map(tuple, sets):
        mask = masks.get(members)
        if mask is None:
            mask = 0
            for member in members:
                mask |= 1 << vocabulary[member]
            masks[members] = mask
        rows.append(mask)
    if words == 1:
        return np.array(rows, dtype=np.uint64).reshape(len(rows), 1)
    low = (1 << 64) - 1
    return np.array(
        [[(mask >> (64 * w)) & low for w in range(words)] for mask in rows], dtype=np.uint64
    ).reshape(len(rows), words)


def _points(people: Sequence[Mentor | Newcomer]) -> tuple[Float64, Float64]:
    places = municipalities()
    lat = np.empty(len(people), dtype=np.float64)
    lon = np.empty(len(people), dtype=np.float64)
    for i, person in enumerate(people):
        if person.lat is not None and person.lon is not None:
            lat[i], lon[i] = person.lat, person.lon
        else:
            place = places[person.municipality]
            lat[i], lon[i] = place.lat, place.lon
    return lat, lon


@dataclass(frozen=True, slots=True)
class Side:
    """The arrays of one side (newcomers or mentors), rows in id order."""

    ids: tuple[str, ...]
    lat: Float64
    lon: Float64
    point: Int32  # index into the side's distinct points
    point_lat: Float64
    point_lon: Float64
    limit_km: Float64  # own max distance, or the policy default
    age: Float64  # NaN when unknown
    gender: npt.NDArray[np.int8]  # -1 unknown
    languages: UInt64  # (rows, words) bitsets
    interests: UInt64


def _side(
    people: Sequence[Mentor | Newcomer],
    policy: Policy,
    lang: dict[str, int],
    interests: dict[str, int],
) -> Side:
    lat, lon = _points(people)
    default = float(policy.default_max_distance_km)
    return _with_points(
        ids=tuple(p.id for p in people),
        lat=lat,
        lon=lon,
        limit_km=np.array(
            [default if p.max_distance_km is None else p.max_distance_km for p in people],
            dtype=np.float64,
        ),
        age=np.array([np.nan if p.age is None else p.age for p in people], dtype=np.float64),
        gender=np.array([GENDER_CODES.get(p.gender or "", -1) for p in people], dtype=np.int8),
        languages=_bitsets([p.languages for p in people], lang),
        interests=_bitsets([p.interests for p in people], interests),
    )


def _with_points(
    *,
    ids: tuple[str, ...],
    lat: Float64,
    lon: Float64,
    limit_km: Float64,
    age: Float64,
    gender: npt.NDArray[np.int8],
    languages: UInt64,
    interests: UInt64,
    points: Int32 | None = None,
    pool_points: tuple[Float64, Float64] | None = None,
) -> Side:
    """A side from its rows' arrays, with its distinct points, in (lat, lon) order; or, when
    ``points`` gives each row's index into a pool's distinct ``pool_points``, those of them
    the rows use."""
    if points is not None and pool_points is not None:
        used, inverse = np.unique(points, return_inverse=True)
        point_lat, point_lon = pool_points[0][used], pool_points[1][used]
    elif len(ids):
        distinct, inverse = np.unique(np.stack([lat, lon], axis=1), axis=0, return_inverse=True)
        point_lat, point_lon = distinct[:, 0], distinct[:, 1]
    else:
        inverse, point_lat, point_lon = np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    return Side(
        ids=ids,
        lat=lat,
        lon=lon,
        point=inverse.reshape(-1).astype(np.int32),
        point_lat=np.ascontiguousarray(point_lat),
        point_lon=np.ascontiguousarray(point_lon),
        limit_km=limit_km,
        age=age,
        gender=gender,
        languages=languages,
        interests=interests,
    )


def _vocabulary(sets: Iterable[Iterable[str]]) -> dict[str, int]:
    """Bit positions of the members of ``sets``, in sorted order."""
    return {c: i for i, c in enumerate(sorted({c for t in set(map(tuple, sets)) for c in t}))}


def _extended(vocabulary: dict[str, int], sets: Iterable[Iterable[str]]) -> dict[str, int]:
    """``vocabulary`` with the members of ``sets`` it lacks after its own, in sorted order."""
    new = sorted({c for t in set(map(tuple, sets)) for c in t}.difference(vocabulary))
    if not new:
        return vocabulary
    return {**vocabulary, **{c: len(vocabulary) + i for i, c in enumerate(new)}}


def _certified_and_accepts(
    mentors: Sequence[Mentor],
) -> tuple[Bool, npt.NDArray[np.uint8]]:
    """Per mentor: a child certificate; the genders accepted (bitmask, ACCEPTS_ANY: any)."""
    return np.array([x.child_certificate for x in mentors], dtype=np.bool_), np.array(
        [
            ACCEPTS_ANY
            if x.accepts_genders is None
            else sum(1 << GENDER_CODES[g] for g in set(x.accepts_genders))
            for x in mentors
        ],
        dtype=np.uint8,
    )


@dataclass(frozen=True, slots=True)
class MentorPool:
    """Mentors checked and turned into the index's arrays once, for many problems that hold
    them (:func:`mentor_pool`; the ``pool`` of :func:`matching.suggest`).

    A problem's mentor that is one of these very objects (``is``; they are frozen) is taken
    from here: :func:`matching.validate` checks only that its programmes are the problem's,
    and its arrays are sliced, not built again. Any other mentor (say one made with a
    different capacity) is checked and converted as without a pool; so is every mentor of a
    problem whose policy is not the pool's. Only ``capacity`` and ``programmes`` are always
    read from the problem's mentors. The answer is the same with or without a pool.
    """

    policy: Policy
    mentors: tuple[Mentor, ...]
    row: dict[str, int]
    languages: dict[str, int]
    interests: dict[str, int]
    side: Side
    child_certificate: Bool
    accepts: npt.NDArray[np.uint8]

    def holds(self, mentor: Mentor) -> bool:
        """Whether ``mentor`` is one of the pool's own objects."""
        return self.rows_of([mentor])[0] >= 0

    def rows_of(self, mentors: Iterable[Mentor]) -> list[int]:
        """Each mentor's row in the pool, -1 for one the pool does not hold."""
        row, own = self.row, self.mentors
        return [r if (r := row.get(m.id, -1)) >= 0 and own[r] is m else -1 for m in mentors]


def mentor_pool(mentors: Sequence[Mentor], policy: Policy) -> MentorPool:
    """A pool of the ``mentors`` that pass every check of their own (:func:`valid_mentors`);
    the others are left out (a problem holding one is checked as without a pool)."""
    kept = valid_mentors(mentors)
    lang = _vocabulary(m.languages for m in kept)
    interests = _vocabulary(m.interests for m in kept)
    certified, accepts = _certified_and_accepts(kept)
    return MentorPool(
        policy=policy,
        mentors=kept,
        row={m.id: i for i, m in enumerate(kept)},
        languages=lang,
        interests=interests,
        side=_side(kept, policy, lang, interests),
        child_certificate=certified,
        accepts=accepts,
    )


def _pooled(
    pool: MentorPool,
    mentors: Sequence[Mentor],
    found: list[int],
    policy: Policy,
    lang: dict[str, int],
    interests: dict[str, int],
) -> tuple[Side, Bool, npt.NDArray[np.uint8]]:
    """The mentor side (and certificates and accepted genders) of ``mentors``: the pool's rows
    (``found``, :meth:`MentorPool.rows_of`) of those it holds, the others converted; ``lang``
    and ``interests`` extend the pool's."""
    rows = np.array(found, dtype=np.int64)
    taken = rows >= 0
    rows = rows[taken]
    fresh = [m for m, r in zip(mentors, found, strict=True) if r < 0]
    other = _side(fresh, policy, lang, interests)
    other_certified, other_accepts = _certified_and_accepts(fresh)
    own = pool.side

    def merged(mine: npt.NDArray[np.generic], theirs: npt.NDArray[np.generic]) -> npt.NDArray[Any]:
        out = np.zeros((len(mentors), *theirs.shape[1:]), dtype=theirs.dtype)
        if mine.ndim == 1:
            out[taken] = mine[rows]
        else:  # bitsets: the pool's words, then zeros for what its vocabulary lacks
            out[taken, : mine.shape[1]] = mine[rows]
        out[~taken] = theirs
        return out

    side = _with_points(
        ids=tuple(m.id for m in mentors),
        lat=merged(own.lat, other.lat),
        lon=merged(own.lon, other.lon),
        limit_km=merged(own.limit_km, other.limit_km),
        age=merged(own.age, other.age),
        gender=merged(own.gender, other.gender),
        languages=merged(own.languages, other.languages),
        interests=merged(own.interests, other.interests),
        # The pool's distinct points are in the same (lat, lon) order: a subset keeps it.
        points=None if fresh else own.point[rows],
        pool_points=(own.point_lat, own.point_lon),
    )
    return (
        side,
        merged(pool.child_certificate, other_certified),
        merged(pool.accepts, other_accepts),
    )


class Arrays(NamedTuple):
    """Everything the compiled rules and score read, as one argument (see :class:`Index`).

    Rows: ``req_*`` by request, ``n_*`` by newcomer, ``m_*`` by mentor, ``prog_*`` by
    programme; 2-D bitsets are C-contiguous (rows, words).
    """

    req_newcomer: Int32
    req_programme: Int32
    req_age_ok: Bool
    mentor_programmes: Bool
    n_languages: UInt64
    m_languages: UInt64
    first_language: Int32
    prog_language: Int32
    prog_first_language: Bool
    n_lat: Float64
    n_lon: Float64
    m_lat: Float64
    m_lon: Float64
    n_limit: Float64
    m_limit: Float64
    wish: npt.NDArray[np.int8]
    n_genders: npt.NDArray[np.uint8]
    m_gender: npt.NDArray[np.int8]
    accepts: npt.NDArray[np.uint8]
    n_age: Float64
    m_age: Float64
    needs_certificate: Bool
    child_certificate: Bool
    has_forbidden: Bool
    forbidden_keys: Int64
    prog_group: Bool
    group_has_forbidden: Bool
    group_forbidden_keys: Int64
    n_mentors: int
    places: Int32
    n_interests: UInt64
    m_interests: UInt64
    w_language: float
    w_distance: float
    w_interests: float
    w_age: float
    waiting_days: Float64
    waiting_weight: float
    keep_bonus: float
    previous_mentor: Int32
    previous_extra: Int64


@dataclass(frozen=True, slots=True)
class Index:
    """Arrays of a validated problem; requests are (newcomer, programme) in id, code order.

    Newcomer rows are the newcomers in id order, then one row per household of two or more
    whose contact person asks for a ``unit: household`` programme: that row reads the
    members together (MATCHING.md, "Households and groups") and is the row of the
    household's requests. ``row_unit`` joins every row of one household under one key (the
    flow's (household, mentor) middle node); other rows are their own unit.
    """

    policy: Policy
    programmes: tuple[Programme, ...]
    newcomers: tuple[Newcomer, ...]
    mentors: tuple[Mentor, ...]
    households: tuple[Household, ...]  # in id order
    rows: tuple[Newcomer, ...]  # newcomer rows: the newcomers, then the household rows
    n: Side
    m: Side
    first_language: Int32  # newcomer row -> index in the language vocabulary
    newcomer_requests: Int32  # newcomer -> number of requests
    mentor_gender_wish: npt.NDArray[np.int8]  # newcomer row -> wanted mentor gender, -1 none
    genders: npt.NDArray[np.uint8]  # newcomer row -> genders the accepts rule reads (mask)
    needs_certificate: Bool  # newcomer row -> a child or someone of unknown age is in it
    waiting_days: Float64
    child_certificate: Bool  # mentor
    accepts: npt.NDArray[np.uint8]  # mentor -> gender bitmask
    residual: Int32  # mentor capacity left after fixed (group programmes' fixed excluded)
    places: Int32  # (mentors, programmes): residual, or group places left for group ones
    mentor_programmes: Bool  # (mentors, programmes)
    req_newcomer: Int32  # request -> newcomer row
    req_programme: Int32
    req_age_ok: Bool  # every age the request reads inside the programme's bounds
    req_household: Int32  # request -> household index of a household request, -1 none
    row_unit: Int32  # newcomer row -> never-twice unit (household-wide)
    row_newcomer: Int32  # newcomer row -> the newcomer (a household row: its contact)
    prog_unit: npt.NDArray[np.int8]  # PERSON, HOUSEHOLD or GROUP
    prog_group: Bool
    prog_language: Int32  # programme -> required language index, -1 none
    prog_first_language: Bool
    forbidden_keys: Int64  # sorted row * M + mentor, incl. fixed pairs
    has_forbidden: Bool  # newcomer row
    group_forbidden_keys: Int64  # the same for group requests (see _forbidden_keys)
    group_has_forbidden: Bool
    group_fixed: dict[tuple[int, int], tuple[str, ...]]  # (mentor, programme) -> fixed ids
    previous_mentor: Int32  # request -> last run's mentor, -1 none
    previous_extra: Int64  # sorted request * M + mentor for further previous entries
    arrays: Arrays  # the same, for the compiled kernels

    @property
    def n_requests(self) -> int:
        """Number of requests."""
        return len(self.req_newcomer)

    def request_label(self, request: int) -> tuple[str, str]:
        """(newcomer id, programme code) of a request (a household's: its contact person)."""
        newcomer = self.n.ids[int(self.req_newcomer[request])]
        return newcomer, self.programmes[int(self.req_programme[request])].code

    def request_household(self, request: int) -> str | None:
        """The household id of a household request, else None."""
        k = int(self.req_household[request])
        return None if k < 0 else self.households[k].id


def _household_row(members: Sequence[Newcomer]) -> Newcomer:
    """The newcomer row of a household request: the contact person's point, limits, wishes
    and age; the adults' languages (everyone's when no adult's age is known); everyone's
    interests; the longest waiting."""
    contact = members[0]
    return replace(
        contact,
        languages=tuple(dict.fromkeys(c for x in _adults(members) for c in x.languages)),
        interests=tuple(sorted({i for x in members for i in x.interests})),
        waiting_days=max(x.waiting_days for x in members),
        programmes=(),
    )


def _adults(members: Sequence[Newcomer]) -> Sequence[Newcomer]:
    """The members of 18 or older, or all of them when no adult's age is known."""
    adults = [x for x in members if x.age is not None and x.age >= ADULT_AGE]
    return adults or members


def _genders(people: Sequence[Newcomer]) -> int:
    """The ``genders`` mask of people (bit per gender, GENDER_UNKNOWN for an unknown one)."""
    mask = 0
    for x in people:
        mask |= GENDER_UNKNOWN if x.gender is None else 1 << GENDER_CODES[x.gender]
    return mask


def _needs_certificate(people: Sequence[Newcomer], below: int) -> bool:
    return any(x.age is None or x.age < below for x in people)


def _ages(people: Sequence[Newcomer]) -> tuple[float, float]:
    """Youngest and oldest age (NaN when any is unknown: outside any set bound)."""
    if any(x.age is None for x in people):
        return np.nan, np.nan
    ages = [float(x.age) for x in people if x.age is not None]
    return min(ages), max(ages)


def _keys(rows: Sequence[set[int]], n_mentors: int) -> tuple[Int64, Bool]:
    """Sorted ``row * n_mentors + mentor`` keys of per-row mentor sets, and which rows have any."""
    keys = sorted(row * n_mentors + m for row, mentors in enumerate(rows) for m in mentors)
    has = np.array([bool(m) for m in rows], dtype=np.bool_)
    return np.array(keys, dtype=np.int64), has


def build_index(problem: Problem, pool: MentorPool | None = None) -> Index:
    """Arrays of a problem already validated by :func:`matching.validate` (with the same
    ``pool``, whose mentors' arrays are sliced rather than built: :class:`MentorPool`)."""
    policy = problem.policy
    below = policy.child_certificate_below_age
    by_id = attrgetter("id")
    newcomers = tuple(sorted(problem.newcomers, key=by_id))
    mentors = tuple(sorted(problem.mentors, key=by_id))
    households = tuple(sorted(problem.households, key=by_id))
    programmes = problem.programmes
    prog_pos = {p.code: i for i, p in enumerate(programmes)}
    prog_unit = np.array([_UNIT_CODES[p.unit] for p in programmes], dtype=np.int8)
    n_pos = dict(zip(map(by_id, newcomers), range(len(newcomers)), strict=True))
    m_pos = dict(zip(map(by_id, mentors), range(len(mentors)), strict=True))
    n_mentors = len(mentors)

    # Households: which newcomer is in which; a row of its own for a household of two or
    # more whose contact person asks for a household programme.
    household_of = np.full(len(newcomers), -1, dtype=np.int32)
    member_rows: list[list[int]] = []
    for k, h in enumerate(households):
        member_rows.append([n_pos[x] for x in h.members])
        household_of[member_rows[-1]] = k
    contact_of = {rows[0]: k for k, rows in enumerate(member_rows)}
    row_of_household: dict[int, int] = {}
    extra_rows: list[Newcomer] = []
    for k, rows in enumerate(member_rows):
        contact = newcomers[rows[0]]
        if len(rows) >= 2 and any(prog_unit[prog_pos[c]] == HOUSEHOLD for c in contact.programmes):
            row_of_household[k] = len(newcomers) + len(extra_rows)
            extra_rows.append(_household_row([newcomers[i] for i in rows]))
    rows_people: tuple[Newcomer, ...] = (*newcomers, *extra_rows)
    row_members: list[list[int]] = [[i] for i in range(len(newcomers))]
    row_members += [member_rows[k] for k in row_of_household]
    row_newcomer = np.array([members[0] for members in row_members], dtype=np.int32)

    required = [(p.requires_language,) for p in programmes if p.requires_language]
    if pool is not None and pool.policy == policy:
        # The pool's vocabularies, then what else these people speak (bit positions are
        # only names: every rule and score reads shared and total counts).
        pooled_rows = pool.rows_of(mentors)
        fresh = [x for x, r in zip(mentors, pooled_rows, strict=True) if r < 0]
        people: Sequence[Mentor | Newcomer] = (*newcomers, *fresh)
        lang = _extended(pool.languages, [*(x.languages for x in people), *required])
        interests = _extended(pool.interests, (x.interests for x in people))
        m_side, certified, accepts = _pooled(pool, mentors, pooled_rows, policy, lang, interests)
    else:
        people = (*newcomers, *mentors)
        lang = _vocabulary([*(x.languages for x in people), *required])
        interests = _vocabulary(x.interests for x in people)
        m_side = _side(mentors, policy, lang, interests)
        certified, accepts = _certified_and_accepts(mentors)
    n_side = _side(rows_people, policy, lang, interests)

    # Requests in (newcomer, code) order (a newcomer lists a programme once: validated).
    asked = [x.programmes for x in newcomers]
    req_i = np.repeat(np.arange(len(newcomers), dtype=np.int32), list(map(len, asked)))
    req_programme = np.fromiter(
        map(prog_pos.__getitem__, chain.from_iterable(asked)), dtype=np.int32, count=len(req_i)
    )
    code_rank = np.argsort(np.argsort(np.array([p.code for p in programmes], dtype=object)))
    order = np.lexsort((code_rank[req_programme], req_i))
    req_i, req_programme = req_i[order], req_programme[order]
    # A contact person's household-programme requests are the household's: its row (a
    # household of two or more), else the contact's own.
    household_of_contact = np.full(len(newcomers), -1, dtype=np.int32)
    household_of_contact[list(contact_of)] = list(contact_of.values())
    household_row = np.full(len(households) + 1, -1, dtype=np.int32)  # [-1]: no household
    household_row[list(row_of_household)] = list(row_of_household.values())
    req_contact_of = household_of_contact[req_i]
    is_household = (req_contact_of >= 0) & (prog_unit[req_programme] == HOUSEHOLD)
    req_household = np.where(is_household, req_contact_of, -1).astype(np.int32)
    its_row = household_row[req_contact_of]
    req_newcomer = np.where(is_household & (its_row >= 0), its_row, req_i).astype(np.int32)
    prog_codes = [p.code for p in programmes]
    req_pos = dict(
        zip(
            zip(req_i.tolist(), map(prog_codes.__getitem__, req_programme.tolist()), strict=True),
            range(len(req_i)),
            strict=True,
        )
    )
    if extra_rows:
        bounds = [_ages([rows_people[i] for i in members]) for members in row_members]
        youngest = np.array([b[0] for b in bounds], dtype=np.float64)[req_newcomer]
        oldest = np.array([b[1] for b in bounds], dtype=np.float64)[req_newcomer]
    else:
        youngest = oldest = n_side.age[req_newcomer]
    min_age = np.array(
        [-np.inf if p.min_age is None else p.min_age for p in programmes], dtype=np.float64
    )
    max_age = np.array(
        [np.inf if p.max_age is None else p.max_age for p in programmes], dtype=np.float64
    )
    has_bound = np.array([p.min_age is not None or p.max_age is not None for p in programmes])
    lo, hi, bounded = min_age[req_programme], max_age[req_programme], has_bound[req_programme]
    # NaN compares false: an unknown age is outside any set bound.
    req_age_ok = ~bounded | ((youngest >= lo) & (oldest <= hi))

    mentor_programmes = np.zeros((len(mentors), len(programmes)), dtype=np.bool_)
    offering: defaultdict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, x in enumerate(mentors):  # mentors share a few lists: each is set once
        offering[x.programmes].append(i)
    for codes, holders in offering.items():
        mentor_programmes[np.ix_(holders, [prog_pos[c] for c in codes])] = True
    load = np.zeros(len(mentors), dtype=np.int32)
    group_fixed_lists: defaultdict[tuple[int, int], list[str]] = defaultdict(list)
    # Per newcomer: rejected mentors; mentors of fixed matches (all, and outside groups).
    rejected: list[set[int]] = [set() for _ in newcomers]
    fixed_all: list[set[int]] = [set() for _ in newcomers]
    fixed_person: list[set[int]] = [set() for _ in newcomers]
    for a in problem.fixed:
        m, p = m_pos[a.mentor], prog_pos[a.programme]
        if prog_unit[p] == GROUP:
            group_fixed_lists[(m, p)].append(a.newcomer)
        else:
            load[m] += 1
        if a.newcomer in n_pos:
            fixed_all[n_pos[a.newcomer]].add(m)
            if prog_unit[p] != GROUP:
                fixed_person[n_pos[a.newcomer]].add(m)
    for f in problem.forbidden:
        if f.newcomer in n_pos:
            rejected[n_pos[f.newcomer]].add(m_pos[f.mentor])
    forbidden_rows, group_rows = _forbidden_sets(
        row_members, household_of, member_rows, rejected, fixed_all, fixed_person
    )
    forbidden_keys, has_forbidden = _keys(forbidden_rows, n_mentors)
    if group_rows is forbidden_rows:
        group_keys, group_has = forbidden_keys, has_forbidden
    else:
        group_keys, group_has = _keys(group_rows, n_mentors)
    residual = np.array([x.capacity for x in mentors], dtype=np.int32) - load
    places = np.repeat(residual[:, None], len(programmes), axis=1).astype(np.int32)
    for p, programme in enumerate(programmes):
        if programme.unit == "group":
            places[:, p] = programme.group_max or 0
    for (m, p), ids in group_fixed_lists.items():
        places[m, p] -= len(ids)

    # The never-twice unit: one per household (all its rows), else the row itself.
    n_rows = len(rows_people)
    row_household = household_of[row_newcomer]
    row_unit = np.where(
        row_household >= 0, n_rows + row_household, np.arange(n_rows, dtype=np.int32)
    ).astype(np.int32)

    previous_mentor = np.full(len(req_i), -1, dtype=np.int32)
    extra: list[int] = []
    for a in sorted(problem.previous, key=lambda a: (a.newcomer, a.programme, a.mentor)):
        found = req_pos.get((n_pos.get(a.newcomer, -1), a.programme))
        if found is None:
            continue
        r = found
        if previous_mentor[r] < 0:
            previous_mentor[r] = m_pos[a.mentor]
        else:
            extra.append(r * n_mentors + m_pos[a.mentor])

    # A newcomer's own row reads the newcomer (an adult or not: the only member); a household
    # row its members.
    own = slice(0, len(newcomers))
    gender = n_side.gender[own].astype(np.int64)
    genders = np.empty(n_rows, dtype=np.uint8)
    genders[own] = np.where(gender < 0, GENDER_UNKNOWN, np.left_shift(1, np.maximum(gender, 0)))
    needs_certificate = np.empty(n_rows, dtype=np.bool_)
    age = n_side.age[own]
    needs_certificate[own] = np.isnan(age) | (age < below)
    for row in range(len(newcomers), n_rows):
        members = [newcomers[i] for i in row_members[row]]
        genders[row] = _genders(_adults(members))
        needs_certificate[row] = _needs_certificate(members, below)

    index = Index(
        policy=policy,
        programmes=programmes,
        newcomers=newcomers,
        mentors=mentors,
        households=households,
        rows=rows_people,
        n=n_side,
        m=m_side,
        first_language=np.array(
            [lang[newcomers[members[0]].languages[0]] for members in row_members],
            dtype=np.int32,
        ),
        newcomer_requests=np.bincount(req_i, minlength=len(newcomers)).astype(np.int32),
        mentor_gender_wish=np.array(
            [GENDER_CODES.get(x.mentor_gender or "", -1) for x in rows_people], dtype=np.int8
        ),
        genders=genders,
        needs_certificate=needs_certificate,
        waiting_days=np.array([x.waiting_days for x in rows_people], dtype=np.float64),
        child_certificate=certified,
        accepts=accepts,
        residual=residual,
        places=places,
        mentor_programmes=mentor_programmes,
        req_newcomer=req_newcomer,
        req_programme=req_programme,
        req_age_ok=np.asarray(req_age_ok, dtype=np.bool_),
        req_household=req_household,
        row_unit=row_unit,
        row_newcomer=row_newcomer,
        prog_unit=prog_unit,
        prog_group=prog_unit == GROUP,
        prog_language=np.array(
            [-1 if p.requires_language is None else lang[p.requires_language] for p in programmes],
            dtype=np.int32,
        ),
        prog_first_language=np.array(
            [p.requires_first_language for p in programmes], dtype=np.bool_
        ),
        forbidden_keys=forbidden_keys,
        has_forbidden=has_forbidden,
        group_forbidden_keys=group_keys,
        group_has_forbidden=group_has,
        group_fixed={key: tuple(sorted(ids)) for key, ids in sorted(group_fixed_lists.items())},
        previous_mentor=previous_mentor,
        previous_extra=np.array(sorted(extra), dtype=np.int64),
        arrays=None,  # type: ignore[arg-type]
    )
    object.__setattr__(index, "arrays", _arrays(index))
    return index


def _forbidden_sets(
    row_members: list[list[int]],
    household_of: Int32,
    member_rows: list[list[int]],
    rejected: list[set[int]],
    fixed_all: list[set[int]],
    fixed_person: list[set[int]],
) -> tuple[list[set[int]], list[set[int]]]:
    """Per newcomer row, the mentors rule 6 removes, for person and household requests and
    for group requests.

    Rejections are personal (a household row: any member's). A fixed match makes its mentor
    "already their mentor" for every request of every member of the household; only for a
    group request does another member's fixed place in a group not count (two members may
    join one group). Without households both lists are the same object.
    """
    n = len(rejected)
    if not member_rows:
        rows = [rejected[i] | fixed_all[i] for i in range(n)]
        return rows, rows
    person: list[set[int]] = []
    group: list[set[int]] = []
    for members in row_members:
        k = int(household_of[members[0]])
        if k < 0:
            own = rejected[members[0]] | fixed_all[members[0]]
            person.append(own)
            group.append(own)
            continue
        household = member_rows[k]
        fixed = set().union(*(fixed_all[i] for i in household))
        blocked = set().union(*(rejected[i] for i in members))
        person.append(blocked | fixed)
        if len(members) == 1:
            i = members[0]
            others = set().union(*(fixed_person[j] for j in household if j != i))
            group.append(rejected[i] | fixed_all[i] | others)
        else:
            group.append(blocked | fixed)
    return person, group


def _arrays(index: Index) -> Arrays:
    c = np.ascontiguousarray
    w = index.policy.weights
    return Arrays(
        req_newcomer=c(index.req_newcomer, dtype=np.int32),
        req_programme=c(index.req_programme, dtype=np.int32),
        req_age_ok=c(index.req_age_ok, dtype=np.bool_),
        mentor_programmes=c(index.mentor_programmes, dtype=np.bool_),
        n_languages=c(index.n.languages, dtype=np.uint64),
        m_languages=c(index.m.languages, dtype=np.uint64),
        first_language=c(index.first_language, dtype=np.int32),
        prog_language=c(index.prog_language, dtype=np.int32),
        prog_first_language=c(index.prog_first_language, dtype=np.bool_),
        n_lat=c(index.n.lat, dtype=np.float64),
        n_lon=c(index.n.lon, dtype=np.float64),
        m_lat=c(index.m.lat, dtype=np.float64),
        m_lon=c(index.m.lon, dtype=np.float64),
        n_limit=c(index.n.limit_km, dtype=np.float64),
        m_limit=c(index.m.limit_km, dtype=np.float64),
        wish=c(index.mentor_gender_wish, dtype=np.int8),
        n_genders=c(index.genders, dtype=np.uint8),
        m_gender=c(index.m.gender, dtype=np.int8),
        accepts=c(index.accepts, dtype=np.uint8),
        n_age=c(index.n.age, dtype=np.float64),
        m_age=c(index.m.age, dtype=np.float64),
        needs_certificate=c(index.needs_certificate, dtype=np.bool_),
        child_certificate=c(index.child_certificate, dtype=np.bool_),
        has_forbidden=c(index.has_forbidden, dtype=np.bool_),
        forbidden_keys=c(index.forbidden_keys, dtype=np.int64),
        prog_group=c(index.prog_group, dtype=np.bool_),
        group_has_forbidden=c(index.group_has_forbidden, dtype=np.bool_),
        group_forbidden_keys=c(index.group_forbidden_keys, dtype=np.int64),
        n_mentors=len(index.mentors),
        places=c(index.places, dtype=np.int32),
        n_interests=c(index.n.interests, dtype=np.uint64),
        m_interests=c(index.m.interests, dtype=np.uint64),
        w_language=float(w.language),
        w_distance=float(w.distance),
        w_interests=float(w.interests),
        w_age=float(w.age),
        waiting_days=c(index.waiting_days, dtype=np.float64),
        waiting_weight=float(index.policy.waiting_weight),
        keep_bonus=float(index.policy.keep_bonus),
        previous_mentor=c(index.previous_mentor, dtype=np.int32),
        previous_extra=c(index.previous_extra, dtype=np.int64),
    )


def mentor_speaks(index: Index, mentors: Int32, language: npt.NDArray[np.integer]) -> Bool:
    """Whether each mentor speaks the language with the given vocabulary index (-1: none)."""
    lang = np.asarray(language, dtype=np.int64)
    safe = np.maximum(lang, 0)
    words = index.m.languages[mentors, safe >> 6]
    bits = np.right_shift(words, (safe & 63).astype(np.uint64)) & np.uint64(1)
    return np.asarray((bits == 1) & (lang >= 0), dtype=np.bool_)


def intersects(a: UInt64, ia: npt.NDArray[np.integer], b: UInt64, ib: Int32) -> Bool:
    """Whether bitset rows ``a[ia]`` and ``b[ib]`` share a member, pair by pair."""
    if a.shape[1] == 1:
        return np.asarray((a[:, 0][ia] & b[:, 0][ib]) != 0, dtype=np.bool_)
    return np.asarray((a[ia] & b[ib]).any(axis=1), dtype=np.bool_)


def popcounts(
    a: UInt64, ia: npt.NDArray[np.integer], b: UInt64, ib: Int32
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Sizes of the intersection and the union of bitset rows ``a[ia]`` and ``b[ib]``."""
    if a.shape[1] == 1:
        x, y = a[:, 0][ia], b[:, 0][ib]
        return np.bitwise_count(x & y).astype(np.int64), np.bitwise_count(x | y).astype(np.int64)
    x2, y2 = a[ia], b[ib]
    return (
        np.bitwise_count(x2 & y2).sum(axis=1, dtype=np.int64),
        np.bitwise_count(x2 | y2).sum(axis=1, dtype=np.int64),
    )


@pair_jit
def speaks_in(languages: UInt64, mentor: int, language: int) -> bool:
    """Whether bitset row ``languages[mentor]`` holds vocabulary index ``language`` (-1: no)."""
    if language < 0:
        return False
    word = languages[mentor, language >> 6]
    held: bool = (word >> np.uint64(language & 63)) & np.uint64(1) == np.uint64(1)
    return held


@pair_jit
def contains(keys: Int64, key: int) -> bool:
    """Whether the sorted array ``keys`` holds ``key``."""
    if len(keys) == 0:
        return False
    pos: int = min(int(np.searchsorted(keys, key)), len(keys) - 1)
    found: bool = keys[pos] == key
    return found
