"""The hard rules in the contract's order; candidate pairs; reasons; suggestions.

Each rule is one compiled function of a pair (request index, mentor index, distance) over an
:class:`~matching._index.Index`'s :class:`~matching._index.Arrays`; the candidate kernel, the
suggestions and the explanations all call these. Candidate generation never loops over
newcomer x mentor: per programme, the programme's mentors are bucketed in a 3-D grid on the
unit sphere, and each request visits only the cells within its own distance limit, applying
the rules in order, counting the first failed rule of each nearby pair, and scoring the pairs
that pass every rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

from matching import scoring
from matching._index import (
    ACCEPTS_ANY,
    GENDER_UNKNOWN,
    Arrays,
    Float64,
    Index,
    Int32,
    Int64,
    MentorPool,
    build_index,
    contains,
    speaks_in,
)
from matching._jit import jit, pair_jit
from matching.errors import ProblemError
from matching.geo import (
    DISTANCE_EPS_KM,
    EARTH_RADIUS_KM,
    cos_lat,
    haversine_cos_km,
    haversine_pair_km,
    unit_vectors,
)
from matching.model import PAIR_RULES, Components, Newcomer, Problem
from matching.validate import validate

npt_int8 = np.ndarray[tuple[int], np.dtype[np.int8]]
F = TypeVar("F", bound=Callable[..., Any])

#: Number of rules; a pair's stage ``PASSED`` means it passed all of them.
PASSED = len(PAIR_RULES)


# The compiled rules (and the score) read the arrays they need from ``a`` into locals before
# any branch: numba then passes no reference counts around, which is ten times faster. Plain
# ifs, not `x and y` on numpy booleans, for the same reason.


@pair_jit
def _programme(a: Arrays, r: int, m: int, dist: float) -> bool:
    age_ok, offers, programme = a.req_age_ok, a.mentor_programmes, a.req_programme
    if not age_ok[r]:
        return False
    offered: bool = offers[m, programme[r]] != 0
    return offered


@pair_jit
def _language(a: Arrays, r: int, m: int, dist: float) -> bool:
    n_lang, m_lang, first = a.n_languages, a.m_languages, a.first_language
    need, need_first = a.prog_language[a.req_programme[r]], a.prog_first_language
    p, n = a.req_programme[r], a.req_newcomer[r]
    shared = False
    for w in range(n_lang.shape[1]):
        if n_lang[n, w] & m_lang[m, w]:
            shared = True
            break
    if not shared:
        return False
    if need >= 0:
        if not speaks_in(m_lang, m, need):
            return False
    if need_first[p]:
        return speaks_in(m_lang, m, first[n])
    return True


@pair_jit
def _distance(a: Arrays, r: int, m: int, dist: float) -> bool:
    return dist <= scoring.pair_limit_km(a, r, m) + DISTANCE_EPS_KM


@pair_jit
def _gender(a: Arrays, r: int, m: int, dist: float) -> bool:
    n = a.req_newcomer[r]
    wish, genders, accepts = a.wish[n], a.n_genders[n], a.accepts[m]
    mentor_gender = a.m_gender[m]
    if wish >= 0:
        if wish != mentor_gender:
            return False
    if accepts & ACCEPTS_ANY:
        return True
    if genders & GENDER_UNKNOWN:
        return False
    accepted: bool = (genders & accepts) == genders
    return accepted


@pair_jit
def _child_safety(a: Arrays, r: int, m: int, dist: float) -> bool:
    needs, certified = a.needs_certificate[a.req_newcomer[r]], a.child_certificate
    if not needs:
        return True
    has: bool = certified[m] != 0
    return has


@pair_jit
def _forbidden(a: Arrays, r: int, m: int, dist: float) -> bool:
    n, p = a.req_newcomer[r], a.req_programme[r]
    group, n_mentors = a.prog_group[p], a.n_mentors
    listed, keys = a.has_forbidden[n], a.forbidden_keys
    group_listed, group_keys = a.group_has_forbidden[n], a.group_forbidden_keys
    if group:
        if not group_listed:
            return True
        return not contains(group_keys, n * n_mentors + m)
    if not listed:
        return True
    return not contains(keys, n * n_mentors + m)


@pair_jit
def _capacity(a: Arrays, r: int, m: int, dist: float) -> bool:
    places, p = a.places, a.req_programme[r]
    left: bool = places[m, p] > 0
    return left


#: The rule functions, in the contract's order (names in :data:`matching.model.PAIR_RULES`).
RULE_FUNCTIONS: tuple[Callable[[Arrays, int, int, float], bool], ...] = (
    _programme,
    _language,
    _distance,
    _gender,
    _child_safety,
    _forbidden,
    _capacity,
)
_DISTANCE = PAIR_RULES.index("distance")


@pair_jit
def pair_distance(a: Arrays, r: int, m: int) -> float:
    """Haversine distance in km between the request's newcomer and the mentor."""
    n = a.req_newcomer[r]
    return haversine_pair_km(a.n_lat[n], a.n_lon[n], a.m_lat[m], a.m_lon[m])


@pair_jit
def first_failed(a: Arrays, r: int, m: int, known: int) -> tuple[int, float]:
    """(index in PAIR_RULES of the first rule the pair fails, or ``PASSED``; its distance in km,
    NaN when it failed before the distance rule). Rules below ``known`` are taken as held."""
    if known <= 0:
        if not _programme(a, r, m, 0.0):
            return 0, np.nan
    if known <= 1:
        if not _language(a, r, m, 0.0):
            return 1, np.nan
    d = pair_distance(a, r, m)
    if not _distance(a, r, m, d):
        return 2, d
    if not _gender(a, r, m, d):
        return 3, d
    if not _child_safety(a, r, m, d):
        return 4, d
    if not _forbidden(a, r, m, d):
        return 5, d
    if not _capacity(a, r, m, d):
        return 6, d
    return 7, d


@jit
def _stages(a: Arrays, req: Int32, men: Int32) -> tuple[npt_int8, Float64]:
    stage = np.empty(len(req), dtype=np.int8)
    dist = np.empty(len(req), dtype=np.float64)
    for i in range(len(req)):
        stage[i], dist[i] = first_failed(a, req[i], men[i], 0)
    return stage, dist


def first_failed_rule(index: Index, req: Int32, men: Int32) -> tuple[npt_int8, Float64]:
    """Per pair, the index in :data:`PAIR_RULES` of the first rule it fails (``PASSED``: none),
    and the distances (NaN where a rule before distance failed)."""
    r = np.ascontiguousarray(req, dtype=np.int32)
    m = np.ascontiguousarray(men, dtype=np.int32)
    stage, dist = _stages(index.arrays, r, m)
    return np.asarray(stage), np.asarray(dist)


@jit
def _distances(a: Arrays, req: Int32, men: Int32) -> Float64:
    out = np.empty(len(req), dtype=np.float64)
    for i in range(len(req)):
        out[i] = pair_distance(a, req[i], men[i])
    return out


def pair_distance_km(index: Index, req: Int32, men: Int32) -> Float64:
    """Haversine distance of each pair between the newcomer's and the mentor's point."""
    r = np.ascontiguousarray(req, dtype=np.int32)
    m = np.ascontiguousarray(men, dtype=np.int32)
    return np.asarray(_distances(index.arrays, r, m))


@jit
def _languages_pass(a: Arrays, r: int, men: Int32) -> int:
    count = 0
    for m in men:
        if _language(a, r, m, 0.0):
            count += 1
    return count


def _chord(km: float) -> float:
    return 2.0 * math.sin(min(km / EARTH_RADIUS_KM, math.pi) / 2.0)


@jit
def _cos_lats(lat: Float64) -> Float64:
    """:func:`~matching.geo.cos_lat` of each latitude (compiled: the kernels' own cosine)."""
    out = np.empty(len(lat), dtype=np.float64)
    for i in range(len(lat)):
        out[i] = cos_lat(lat[i])
    return out


def _loose_chords2(limit_km: Float64) -> Float64:
    """Squared chords on the unit sphere of each limit plus 1 km (a pair further apart than
    that fails the distance rule: a fast skip before the exact distance; -1: no limit)."""
    angle = np.minimum((np.asarray(limit_km, dtype=np.float64) + 1.0) / EARTH_RADIUS_KM, math.pi)
    chord = 2.0 * np.sin(np.maximum(angle, 0.0) / 2.0)
    return np.ascontiguousarray(chord * chord)


#: Smallest grid cell (a chord on the unit sphere, about 640 m): keeps cell keys in int64.
_MIN_CELL = 1e-4


def _parallel_jit(function: F) -> F:
    """``numba.njit(parallel=True)``, cached on disk where possible (as :mod:`matching._jit`)."""
    try:
        compiled = numba.njit(cache=True, nogil=True, parallel=True)(function)
    except RuntimeError:  # numba found no writable cache directory
        compiled = numba.njit(nogil=True, parallel=True)(function)
    return cast(F, compiled)


@pair_jit
def _box(
    a: Arrays, r: int, n_unit: Float64, cell: float, span: int, reach_cap: float
) -> tuple[int, int, int, int, int, int, float]:
    """The grid cells a request visits: (lo x, y, z, hi x, y, z, squared chord); lo x > hi x
    when it visits none (a negative limit)."""
    n = a.req_newcomer[r]
    reach = min(a.n_limit[n], reach_cap)
    if reach < 0:
        return 1, 0, 0, 0, 0, 0, 0.0
    # Loose by 1 km: only a fast skip of far mentors; the distance rule decides.
    chord = 2.0 * math.sin(min((reach + 1.0) / EARTH_RADIUS_KM, math.pi) / 2.0)
    x, y, z = n_unit[n, 0], n_unit[n, 1], n_unit[n, 2]
    lo0 = max(0, int(math.floor((x - chord + 1.0) / cell)) + 1)
    lo1 = max(0, int(math.floor((y - chord + 1.0) / cell)) + 1)
    lo2 = max(0, int(math.floor((z - chord + 1.0) / cell)) + 1)
    hi0 = min(span - 1, int(math.floor((x + chord + 1.0) / cell)) + 1)
    hi1 = min(span - 1, int(math.floor((y + chord + 1.0) / cell)) + 1)
    hi2 = min(span - 1, int(math.floor((z + chord + 1.0) / cell)) + 1)
    return lo0, lo1, lo2, hi0, hi1, hi2, chord * chord


@_parallel_jit
def _bounds(
    a: Arrays, reqs: Int32, n_unit: Float64, keys: Int64, cell: float, span: int, reach_cap: float
) -> Int64:
    """Per request, the mentors in the cells it visits: at most its candidate arcs."""
    out = np.zeros(len(reqs), dtype=np.int64)
    for i in numba.prange(len(reqs)):
        lo0, lo1, lo2, hi0, hi1, hi2, _ = _box(a, reqs[i], n_unit, cell, span, reach_cap)
        total = 0
        for ix in range(lo0, hi0 + 1):
            for iy in range(lo1, hi1 + 1):
                base = (ix * span + iy) * span
                start = np.searchsorted(keys, base + lo2)
                stop = np.searchsorted(keys, base + hi2, side="right")
                total += int(stop - start)
        out[i] = total
    return out


@jit
def _split(bounds: Int64, first: int, limit: int) -> int:
    """The end of the run of ``bounds`` from ``first`` whose sum stays within ``limit`` (at
    least one element)."""
    total = bounds[first]
    end = first + 1
    while end < len(bounds) and total + bounds[end] <= limit:
        total += bounds[end]
        end += 1
    return end


@_parallel_jit
def _walk(
    a: Arrays,
    reqs: Int32,
    starts: Int64,
    offsets: Int64,
    n_unit: Float64,
    mentors: Int32,
    keys: Int64,
    m_unit: Float64,
    m_chord2: Float64,
    n_cos: Float64,
    m_cos: Float64,
    cell: float,
    span: int,
    reach_cap: float,
    stages: Int64,
    out_req: Int32,
    out_men: Int32,
    out_cost: Int64,
) -> Int64:
    """Candidate arcs of blocks of requests of one programme with its mentors (sorted by
    cell ``keys``), the blocks in parallel: block b is ``reqs[starts[b]:starts[b + 1]]`` and
    writes its arcs from ``offsets[b]`` on (room for its bound); returns each block's count.

    Each request visits the cells within its own distance limit; each mentor there is
    checked by the rules from language on, in order; pairs that pass the distance rule count
    their first failed rule in ``stages`` (a request is in one block: no two threads write
    one row); pairs that pass all rules are written with their integer cost. Within a block
    the order is the sequential one, so the arcs, blocks taken in order, are always the same.
    """
    counts = np.zeros(len(starts) - 1, dtype=np.int64)
    for b in numba.prange(len(starts) - 1):
        count = offsets[b]
        for i in range(starts[b], starts[b + 1]):
            r = reqs[i]
            lo0, lo1, lo2, hi0, hi1, hi2, limit2 = _box(a, r, n_unit, cell, span, reach_cap)
            n = a.req_newcomer[r]
            x, y, z = n_unit[n, 0], n_unit[n, 1], n_unit[n, 2]
            for ix in range(lo0, hi0 + 1):
                for iy in range(lo1, hi1 + 1):
                    base = (ix * span + iy) * span
                    start = np.searchsorted(keys, base + lo2)
                    stop = np.searchsorted(keys, base + hi2, side="right")
                    for j in range(start, stop):
                        m = mentors[j]
                        if not _language(a, r, m, 0.0):
                            continue
                        dx = m_unit[m, 0] - x
                        dy = m_unit[m, 1] - y
                        dz = m_unit[m, 2] - z
                        chord2 = dx * dx + dy * dy + dz * dz
                        if chord2 > limit2:
                            continue
                        if chord2 > m_chord2[m]:
                            continue  # beyond the mentor's own limit (loose by 1 km too)
                        # first_failed(a, r, m, 2), spelled out: inlined rules that each read
                        # ``a`` first cost no reference counts (see the note above _programme).
                        d = haversine_cos_km(
                            a.n_lat[n], a.n_lon[n], n_cos[n], a.m_lat[m], a.m_lon[m], m_cos[m]
                        )  # pair_distance(a, r, m), each point's cosine computed once
                        if not _distance(a, r, m, d):
                            continue
                        if not _gender(a, r, m, d):
                            stages[r, 3] += 1
                            continue
                        if not _child_safety(a, r, m, d):
                            stages[r, 4] += 1
                            continue
                        if not _forbidden(a, r, m, d):
                            stages[r, 5] += 1
                            continue
                        if not _capacity(a, r, m, d):
                            stages[r, 6] += 1
                            continue
                        stages[r, 7] += 1
                        out_req[count] = r
                        out_men[count] = m
                        out_cost[count] = scoring.pair_cost(a, r, m, d)
                        count += 1
        counts[b] = count - offsets[b]
    return counts


@jit
def _compact(
    out_req: Int32, out_men: Int32, out_cost: Int64, offsets: Int64, counts: Int64, count: int
) -> int:
    """Move the blocks' arcs down to follow one another from ``count`` on (in order; each
    block moves down, never onto a later one); the new count."""
    for b in range(len(counts)):
        src = offsets[b]
        if src != count:
            for k in range(counts[b]):
                out_req[count + k] = out_req[src + k]
                out_men[count + k] = out_men[src + k]
                out_cost[count + k] = out_cost[src + k]
        count += counts[b]
    return count


@dataclass(frozen=True, slots=True)
class Arcs:
    """All candidate pairs of a problem: arc i joins request ``req[i]`` and mentor ``men[i]``
    at integer cost ``cost[i]``; ``stages[r, k]`` counts request r's pairs that passed the
    distance rule and first failed rule k (k = ``PASSED``: candidates)."""

    req: Int32
    men: Int32
    cost: Int64
    stages: Int64
    grouped: int  # the first arc of a group programme: the flow's arcs are those before it


def candidate_arcs(index: Index) -> Arcs:
    """All candidate pairs with their costs, and the per-rule counts :func:`explain` reads.

    Deterministic: programme by programme (group programmes last, so that the flow's arcs
    are a prefix, not a copy), requests in grid order, mentors in grid order.
    """
    a = index.arrays
    stages = np.zeros((index.n_requests, len(PAIR_RULES) + 1), dtype=np.int64)
    # The arcs go into buffers of a generous size; a full one is kept as it is and a new one
    # begun. Pages of a large allocation are mapped in only when first written, so the
    # unwritten tail of a buffer takes no memory, and a single buffer is returned as views.
    chunks: list[tuple[Int32, Int32, Int64]] = []
    size = count = 0
    grouped = -1
    out_req = np.empty(0, dtype=np.int32)
    out_men = np.empty(0, dtype=np.int32)
    out_cost = np.empty(0, dtype=np.int64)
    if index.n_requests and len(index.mentors):
        n_unit = np.ascontiguousarray(unit_vectors(a.n_lat, a.n_lon))
        m_unit = np.ascontiguousarray(unit_vectors(a.m_lat, a.m_lon))
        m_chord2 = _loose_chords2(a.m_limit)
        n_cos, m_cos = _cos_lats(a.n_lat), _cos_lats(a.m_lat)
        size = _CHUNK
        out_req = np.empty(size, dtype=np.int32)
        out_men = np.empty(size, dtype=np.int32)
        out_cost = np.empty(size, dtype=np.int64)
        for p in sorted(range(len(index.programmes)), key=lambda p: bool(index.prog_group[p])):
            if index.prog_group[p] and grouped < 0:
                grouped = sum(len(c[0]) for c in chunks) + count
            reqs = np.flatnonzero((index.req_programme == p) & index.req_age_ok).astype(np.int32)
            mens = np.flatnonzero(index.mentor_programmes[:, p]).astype(np.int32)
            if len(reqs) == 0 or len(mens) == 0:
                continue
            reach = float(min(a.n_limit[a.req_newcomer[reqs]].max(), a.m_limit[mens].max()))
            if reach < 0:
                continue
            cell = max(_chord(reach + 1.0), _MIN_CELL)
            span = int(2.0 / cell) + 3
            m_keys = _cell_keys(m_unit[mens], cell, span)
            order = np.argsort(m_keys, kind="stable")
            n_keys = _cell_keys(n_unit[a.req_newcomer[reqs]], cell, span)
            reqs = reqs[np.argsort(n_keys, kind="stable")]
            sorted_mentors = np.ascontiguousarray(mens[order])
            sorted_keys = np.ascontiguousarray(m_keys[order])
            bounds = _bounds(a, reqs, n_unit, sorted_keys, cell, span, reach)
            done = 0
            while done < len(reqs):
                # A round: blocks of requests with room for their bounds, walked in parallel.
                starts, end, room = [done], done, 0
                while end < len(reqs) and (end == done or room < _ROUND):
                    block_end = _split(bounds, end, _BLOCK)
                    room += int(bounds[end:block_end].sum())
                    end = block_end
                    starts.append(end)
                if count + room > len(out_req):  # full: keep it, begin another
                    chunks.append((out_req[:count], out_men[:count], out_cost[:count]))
                    size = max(size, room)
                    out_req = np.empty(size, dtype=np.int32)
                    out_men = np.empty(size, dtype=np.int32)
                    out_cost = np.empty(size, dtype=np.int64)
                    count = 0
                first = np.asarray(starts, dtype=np.int64)
                before = np.cumsum(bounds[done:end]) - bounds[done:end]  # bounds before each
                offsets = np.asarray(count + before[first[:-1] - done], dtype=np.int64)
                with numba.parallel_chunksize(1):  # threads take blocks as they come
                    counts = _walk(
                        a,
                        reqs,
                        first,
                        offsets,
                        n_unit,
                        sorted_mentors,
                        sorted_keys,
                        m_unit,
                        m_chord2,
                        n_cos,
                        m_cos,
                        cell,
                        span,
                        reach,
                        stages,
                        out_req,
                        out_men,
                        out_cost,
                    )
                count = _compact(out_req, out_men, out_cost, offsets, counts, count)
                done = end
    last = (out_req[:count], out_men[:count], out_cost[:count])
    total = sum(len(c[0]) for c in chunks) + count
    grouped = total if grouped < 0 else grouped
    if not chunks:
        return Arcs(req=last[0], men=last[1], cost=last[2], stages=stages, grouped=grouped)
    chunks.append(last)
    del out_req, out_men, out_cost, last
    # Into one array each, a buffer freed as soon as it is copied: not all of them twice.
    req = np.empty(total, dtype=np.int32)
    men = np.empty(total, dtype=np.int32)
    cost = np.empty(total, dtype=np.int64)
    done = 0
    while chunks:
        c_req, c_men, c_cost = chunks.pop(0)
        req[done : done + len(c_req)] = c_req
        men[done : done + len(c_req)] = c_men
        cost[done : done + len(c_req)] = c_cost
        done += len(c_req)
        del c_req, c_men, c_cost
    return Arcs(req=req, men=men, cost=cost, stages=stages, grouped=grouped)


#: Arcs of one output buffer (16 bytes an arc: 512 MiB of address space, mapped in only as
#: far as it is written; a round that needs more room gets a buffer of its own size).
_CHUNK = 1 << 25
#: Bound of the arcs of one block of requests (one thread's share of a round), and of one
#: round: what a round writes beyond its arcs is mapped in but unused (at most 16 MiB).
_BLOCK = 1 << 16
_ROUND = 1 << 20


def _cell_keys(unit: Float64, cell: float, span: int) -> Int64:
    """Packed grid cell of each unit vector (cell coordinates offset by one, see _walk)."""
    c = np.floor((unit + 1.0) / cell).astype(np.int64) + 1
    return np.asarray((c[:, 0] * span + c[:, 1]) * span + c[:, 2], dtype=np.int64)


def passed_counts(stage: npt_int8) -> tuple[str | None, dict[str, int]]:
    """Reason and passed counts from the stages of one request's pairs with every mentor.

    The reason is the first rule after which no mentor is left (``None`` when some are); the
    counts run up to and including that rule, or over all rules.
    """
    passed: dict[str, int] = {}
    for k, rule in enumerate(PAIR_RULES):
        left = int(np.count_nonzero(stage > k))
        passed[rule] = left
        if left == 0:
            return rule, passed
    return None, passed


def explain(
    index: Index, requests: Int32, stages: npt.NDArray[np.int64]
) -> list[tuple[str, dict[str, int]]]:
    """Reason and passed counts of each unmatched request (reason ``capacity`` when it had
    candidates that the optimum gave to others).

    ``stages`` comes from :func:`iter_candidates`: it counts every nearby pair, which covers
    the rules from ``distance`` on. The first two counts need every mentor of the programme;
    requests alike in programme and languages share them, so each such group is evaluated
    once against all mentors, with the same rule functions.
    """
    p = index.req_programme[requests]
    n = index.req_newcomer[requests]
    first = np.where(index.prog_first_language[p], index.first_language[n], -1)
    profile = np.concatenate(
        [p[:, None], first[:, None], index.n.languages[n].view(np.int64)], axis=1
    )
    language_count = np.zeros(len(requests), dtype=np.int64)
    if len(requests):
        groups, which = np.unique(profile, axis=0, return_inverse=True)
        which = which.reshape(-1)
        for g in range(len(groups)):
            member = np.flatnonzero(which == g)
            r = requests[member[0]]
            mens = np.flatnonzero(index.mentor_programmes[:, int(groups[g, 0])]).astype(np.int32)
            language_count[member] = _languages_pass(index.arrays, int(r), mens)
    in_programme = index.mentor_programmes.sum(axis=0)[p]
    in_programme = np.where(index.req_age_ok[requests], in_programme, 0)
    nearby = stages[requests]
    # Pairs left after rule k: those whose first failure comes later.
    left_after = np.cumsum(nearby[:, ::-1], axis=1)[:, ::-1]
    out: list[tuple[str, dict[str, int]]] = []
    for i in range(len(requests)):
        counts = [int(in_programme[i]), int(language_count[i])]
        counts += [int(left_after[i, k + 1]) for k in range(_DISTANCE, len(PAIR_RULES))]
        passed: dict[str, int] = {}
        reason = "capacity"
        for rule, left in zip(PAIR_RULES, counts, strict=True):
            passed[rule] = left
            if left == 0:
                reason = rule
                break
        out.append((reason, passed))
    return out


def _one_request(problem: Problem, person: Newcomer, programme: str) -> Problem:
    """``problem`` with only the request (person, programme): the person's household comes
    along (its members read together for a household programme, and their fixed matches
    are household-wide), the members asking for nothing else."""
    asked = replace(person, programmes=(programme,))
    household = next((h for h in problem.households if person.id in h.members), None)
    if household is None:
        return replace(problem, newcomers=(asked,), households=())
    by_id = {x.id: x for x in problem.newcomers}
    members = tuple(
        asked if x == person.id else replace(by_id[x], programmes=()) for x in household.members
    )
    return replace(problem, newcomers=members, households=(household,))


def request_reading(problem: Problem, newcomer: str, programme: str) -> Newcomer:
    """The newcomer row the rules read for the request (``newcomer``, ``programme``): for a
    household's request (MATCHING.md, "Households and groups") the household read together
    (the contact person's point, limits and wishes, the adults' languages, everyone's
    interests), else the newcomer. For narrowing mentors before :func:`suggest`. Raises
    :class:`ProblemError` for an unknown newcomer or programme."""
    person = next((x for x in problem.newcomers if x.id == newcomer), None)
    if person is None:
        raise ProblemError("unknown newcomer", record=f'newcomer "{newcomer}"', field=None)
    if programme not in {p.code for p in problem.programmes}:
        raise ProblemError(
            f"unknown {programme!r}", record=f'newcomer "{newcomer}"', field="programme"
        )
    alone = replace(_one_request(problem, person, programme), mentors=(), fixed=(), previous=())
    index = build_index(replace(alone, forbidden=()))
    request = next(r for r in range(index.n_requests) if index.request_label(r)[1] == programme)
    return index.rows[int(index.req_newcomer[request])]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A mentor a coordinator could choose for a request, with its score explained."""

    mentor: str
    score: float
    distance_km: float
    components: Components


@dataclass(frozen=True, slots=True)
class Suggestions:
    """The best candidates of one request, or the rule that left none, with passed counts."""

    newcomer: str
    programme: str
    candidates: tuple[Candidate, ...]
    reason: str | None
    passed: Mapping[str, int]


def suggest(
    problem: Problem,
    newcomer: str,
    programme: str,
    limit: int = 5,
    pool: MentorPool | None = None,
) -> Suggestions:
    """The ``limit`` best mentors for ``newcomer`` in ``programme``, best first.

    Uses the solver's rules and score: mentors full after ``fixed`` are removed by the capacity
    rule, pairs in ``forbidden`` or ``fixed`` by the forbidden rule. Ties are broken by mentor
    id. The newcomer need not have asked for the programme yet. Raises :class:`ProblemError`
    for an invalid problem or an unknown newcomer or programme. With a ``pool``
    (:func:`matching.mentor_pool`) the problem's mentors it holds are neither checked nor
    converted again: the same answer, sooner, for many calls over one set of mentors.
    """
    validate(problem, pool)
    person = next((x for x in problem.newcomers if x.id == newcomer), None)
    if person is None:
        raise ProblemError("unknown newcomer", record=f'newcomer "{newcomer}"', field=None)
    if programme not in {p.code for p in problem.programmes}:
        raise ProblemError(
            f"unknown {programme!r}", record=f'newcomer "{newcomer}"', field="programme"
        )
    index = build_index(_one_request(problem, person, programme), pool)
    request = next(r for r in range(index.n_requests) if index.request_label(r)[1] == programme)
    men = np.arange(len(index.mentors), dtype=np.int32)
    req = np.full(len(men), request, dtype=np.int32)
    stage, dist = first_failed_rule(index, req, men)
    reason, passed = passed_counts(stage)
    ok = np.flatnonzero(stage == len(PAIR_RULES)).astype(np.int32)
    parts = scoring.components(index, req[ok], men[ok], dist[ok])
    scores = scoring.score(index, parts)
    all_ids = index.m.ids
    ok_men = men[ok]
    ranked = _best(scores, lambda i: all_ids[int(ok_men[i])], limit)
    chosen = tuple(
        Candidate(
            mentor=all_ids[int(ok_men[i])],
            score=float(scores[i]),
            distance_km=float(dist[ok][i]),
            components=parts.at(i),
        )
        for i in ranked
    )
    return Suggestions(
        newcomer=newcomer,
        programme=programme,
        candidates=chosen,
        reason=reason,
        passed=MappingProxyType(passed),
    )


def _best(scores: npt.NDArray[np.float64], id_of: Callable[[int], str], limit: int) -> list[int]:
    """The positions of the ``limit`` best scores, best first, ties by id (``id_of``).

    Only scores at least the ``limit``-th best can be among them, so only those are sorted
    (all of them when a score is NaN, which orders nothing)."""
    count = max(0, limit)
    top: Sequence[int] = range(len(scores))
    if 0 < count < len(scores) and not np.isnan(scores).any():
        threshold = np.partition(scores, len(scores) - count)[len(scores) - count]
        top = np.flatnonzero(scores >= threshold).tolist()
    return sorted(top, key=lambda i: (-scores[i], id_of(i)))[:count]


@dataclass(frozen=True, slots=True)
class PairCheck:
    """One pair held to the hard rules and scored, exactly as the solver would.

    ``failed`` names every rule the pair breaks, in the contract's order (empty: the pair is
    a candidate); the score, components and distance are computed whatever it breaks.
    """

    failed: tuple[str, ...]
    score: float
    distance_km: float
    components: Components


def check_pair(problem: Problem, newcomer: str, mentor: str, programme: str) -> PairCheck:
    """Every hard rule (:data:`RULE_FUNCTIONS`) and the score of one (newcomer, mentor) pair
    for ``programme``.

    The rules see the problem as the solver does: ``fixed`` uses up places (``capacity``) and
    makes its pairs ``forbidden``, as do the pairs in ``forbidden``. The newcomer need not
    have asked for the programme. Raises :class:`ProblemError` for an invalid problem or an
    unknown newcomer, mentor or programme.
    """
    validate(problem)
    person = next((x for x in problem.newcomers if x.id == newcomer), None)
    if person is None:
        raise ProblemError("unknown newcomer", record=f'newcomer "{newcomer}"', field=None)
    if mentor not in {m.id for m in problem.mentors}:
        raise ProblemError("unknown mentor", record=f'mentor "{mentor}"', field=None)
    if programme not in {p.code for p in problem.programmes}:
        raise ProblemError(
            f"unknown {programme!r}", record=f'newcomer "{newcomer}"', field="programme"
        )
    index = build_index(_one_request(problem, person, programme))
    request = next(r for r in range(index.n_requests) if index.request_label(r)[1] == programme)
    req = np.array([request], dtype=np.int32)
    men = np.array([index.m.ids.index(mentor)], dtype=np.int32)
    dist = pair_distance_km(index, req, men)
    arrays, r, m, d = index.arrays, int(req[0]), int(men[0]), float(dist[0])
    failed = tuple(
        name
        for name, rule in zip(PAIR_RULES, RULE_FUNCTIONS, strict=True)
        if not rule(arrays, r, m, d)
    )
    parts = scoring.components(index, req, men, dist)
    return PairCheck(
        failed=failed,
        score=float(scoring.score(index, parts)[0]),
        distance_km=float(dist[0]),
        components=parts.at(0),
    )
