"""The hard rules, vectorised, in the contract's order; candidate pairs; reasons; suggestions.

Pairs are arrays of (request index, mentor index) into an :class:`~matching._index.Index`.
Candidate generation never loops over newcomer x mentor: requests and mentors are bucketed by
programme and shared language, distances are computed once per pair of nearby distinct points
(a grid on the unit sphere), and only then are point pairs expanded into person pairs, in
bounded chunks, and checked by the rule functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from matching import scoring
from matching._index import (
    ACCEPTS_ANY,
    Bool,
    Float64,
    Index,
    Int32,
    build_index,
    intersects,
    mentor_speaks,
)
from matching.errors import ProblemError
from matching.geo import DISTANCE_EPS_KM, EARTH_RADIUS_KM, chord_for_km, haversine_km, unit_vectors
from matching.model import RULES, Components, Problem
from matching.validate import validate

#: Upper bound on person pairs materialised at once (memory, not results).
CHUNK_PAIRS = 1 << 18

npt_int8 = np.ndarray[tuple[int], np.dtype[np.int8]]
Rule = Callable[[Index, Int32, Int32, Float64], Bool]


def pair_distance_km(index: Index, req: Int32, men: Int32) -> Float64:
    """Haversine distance of each pair between the newcomer's and the mentor's point."""
    n = index.req_newcomer[req]
    return haversine_km(index.n.lat[n], index.n.lon[n], index.m.lat[men], index.m.lon[men])


def _programme(index: Index, req: Int32, men: Int32, dist: Float64) -> Bool:
    return index.mentor_programmes[men, index.req_programme[req]] & index.req_age_ok[req]


def _language(index: Index, req: Int32, men: Int32, dist: Float64) -> Bool:
    n = index.req_newcomer[req]
    ok = intersects(index.n.languages, n, index.m.languages, men)
    p = index.req_programme[req]
    need = index.prog_language[p]
    sub = np.flatnonzero(need >= 0)
    if len(sub):
        ok[sub] &= mentor_speaks(index, men[sub], need[sub])
    sub = np.flatnonzero(index.prog_first_language[p])
    if len(sub):
        ok[sub] &= mentor_speaks(index, men[sub], index.first_language[n[sub]])
    return ok


def _distance(index: Index, req: Int32, men: Int32, dist: Float64) -> Bool:
    return np.asarray(dist <= scoring.pair_limit_km(index, req, men) + DISTANCE_EPS_KM)


def _gender(index: Index, req: Int32, men: Int32, dist: Float64) -> Bool:
    n = index.req_newcomer[req]
    wish = index.mentor_gender_wish[n]
    ok = (wish < 0) | (wish == index.m.gender[men])
    gender = index.n.gender[n]
    accepts = index.accepts[men]
    listed_ok = (gender >= 0) & ((accepts >> np.maximum(gender, 0).astype(np.uint8)) & 1 == 1)
    return np.asarray(ok & (((accepts & ACCEPTS_ANY) != 0) | listed_ok))


def _child_safety(index: Index, req: Int32, men: Int32, dist: Float64) -> Bool:
    age = index.n.age[index.req_newcomer[req]]
    with np.errstate(invalid="ignore"):
        needs = np.isnan(age) | (age < index.policy.child_certificate_below_age)
    return np.asarray(~needs | index.child_certificate[men])


def _forbidden(index: Index, req: Int32, men: Int32, dist: Float64) -> Bool:
    n = index.req_newcomer[req]
    ok = np.ones(len(req), dtype=np.bool_)
    keys_all = index.forbidden_keys
    sub = np.flatnonzero(index.has_forbidden[n])
    if len(sub):
        keys = n[sub].astype(np.int64) * len(index.mentors) + men[sub]
        pos = np.minimum(np.searchsorted(keys_all, keys), len(keys_all) - 1)
        ok[sub] = keys_all[pos] != keys
    return ok


def _capacity(index: Index, req: Int32, men: Int32, dist: Float64) -> Bool:
    return np.asarray(index.residual[men] > 0)


#: The rule functions, in the contract's order (names in :data:`matching.model.RULES`).
RULE_FUNCTIONS: tuple[Rule, ...] = (
    _programme,
    _language,
    _distance,
    _gender,
    _child_safety,
    _forbidden,
    _capacity,
)
_DISTANCE = RULES.index("distance")


def first_failed_rule(
    index: Index, req: Int32, men: Int32, dist: Float64 | None = None, *, known: int = 0
) -> tuple[npt_int8, Float64]:
    """Per pair, the index in :data:`RULES` of the first rule it fails (``len(RULES)``: none).

    Rules are applied in order to the pairs still alive, so the distance is computed only for
    pairs that passed programme and language. ``known`` rules are already known to hold (the
    pairs come from buckets built by them). Returns the stages and the distances (NaN where
    not computed).
    """
    stage = np.full(len(req), len(RULES), dtype=np.int8)
    distances = np.full(len(req), np.nan) if dist is None else np.asarray(dist, np.float64)
    alive = np.arange(len(req))
    for k, rule in enumerate(RULE_FUNCTIONS):
        if k < known:
            continue
        r, m = req[alive], men[alive]
        if k == _DISTANCE and dist is None:
            distances[alive] = pair_distance_km(index, r, m)
        ok = rule(index, r, m, distances[alive])
        stage[alive[~ok]] = k
        alive = alive[ok]
    return stage, distances


def point_pairs(index: Index, max_km: float) -> tuple[Int32, Int32, Float64]:
    """All (newcomer point, mentor point) pairs at most ``max_km`` apart, with distances.

    Points are bucketed in a 3-D grid on the unit sphere whose cell is the chord of
    ``max_km``: two points within that distance lie in the same or adjacent cells, so
    comparing the 27 neighbouring cells finds every pair. A dot product discards the clearly
    distant ones cheaply; haversine decides the rest exactly.
    """
    a = unit_vectors(index.n.point_lat, index.n.point_lon)
    b = unit_vectors(index.m.point_lat, index.m.point_lon)
    empty = (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float64))
    if len(a) == 0 or len(b) == 0 or max_km < 0:
        return empty
    cell = max(chord_for_km(max_km + 1e-6) * (1 + 1e-9), 1e-9)
    ka = np.floor(a / cell).astype(np.int64)
    kb = np.floor(b / cell).astype(np.int64)
    base = min(int(ka.min()), int(kb.min())) - 1
    span = max(int(ka.max()), int(kb.max())) - base + 2
    weights = np.array([span * span, span, 1], dtype=np.int64)
    b_keys = (kb - base) @ weights
    order = np.argsort(b_keys, kind="stable")
    sorted_keys = b_keys[order]
    offsets = np.array(
        [(dx, dy, dz) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1)]
    )
    # Slightly loose on purpose: haversine, not this, decides; it only skips far pairs.
    min_dot = float(np.cos(min(np.pi, (max_km + 1.0) / EARTH_RADIUS_KM)))
    out_a: list[Int32] = []
    out_b: list[Int32] = []
    out_d: list[Float64] = []
    keys = ((ka - base) @ weights)[:, None] + offsets @ weights  # (points, 27)
    lo = np.searchsorted(sorted_keys, keys.ravel(), "left")
    counts = np.searchsorted(sorted_keys, keys.ravel(), "right") - lo
    per_point = np.cumsum(counts.reshape(len(a), 27).sum(axis=1))
    start = 0
    while start < len(a):
        done = int(per_point[start - 1]) if start else 0
        stop = max(start + 1, int(np.searchsorted(per_point, done + CHUNK_PAIRS, "right")))
        cells = slice(start * 27, stop * 27)
        ia = np.repeat(np.arange(start, stop).repeat(27), counts[cells])
        ib = order[_ranges(lo[cells], counts[cells])]
        near = np.einsum("ij,ij->i", a[ia], b[ib]) >= min_dot
        ia, ib = ia[near], ib[near]
        d = haversine_km(
            index.n.point_lat[ia],
            index.n.point_lon[ia],
            index.m.point_lat[ib],
            index.m.point_lon[ib],
        )
        keep = d <= max_km + DISTANCE_EPS_KM
        out_a.append(ia[keep].astype(np.int32))
        out_b.append(ib[keep].astype(np.int32))
        out_d.append(d[keep])
        start = stop
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_d)


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray[tuple[int], np.dtype[np.int64]]:
    """Concatenation of ``arange(s, s + c)`` for each start and count."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(counts) - counts
    return np.asarray(
        np.repeat(np.asarray(starts, np.int64) - offsets, counts) + np.arange(total),
        dtype=np.int64,
    )


def _expand(
    a_items: Int32,
    a_point: Int32,
    b_items: Int32,
    b_point: Int32,
    pa: Int32,
    pb: Int32,
    pd: Float64,
    n_a_points: int,
    n_b_points: int,
    pair_bounds: npt.NDArray[np.int64],
) -> Iterator[tuple[Int32, Int32, Float64]]:
    """Person pairs of the point pairs (pa, pb), chunk by chunk, with the point distance.

    ``pa`` is sorted; the pairs of newcomer point i are ``pair_bounds[i]:pair_bounds[i + 1]``.
    """
    a_order = np.argsort(a_point, kind="stable")
    b_order = np.argsort(b_point, kind="stable")
    a_sorted, b_sorted = a_items[a_order], b_items[b_order]
    a_count = np.bincount(a_point, minlength=n_a_points).astype(np.int64)
    b_count = np.bincount(b_point, minlength=n_b_points).astype(np.int64)
    # Point pairs are sorted by newcomer point: take only those of this bucket's points.
    points = np.flatnonzero(a_count)
    pair_count = np.diff(pair_bounds)
    pair_start = pair_bounds[:-1]
    near = _ranges(pair_start[points], pair_count[points])
    pa, pb, pd = pa[near], pb[near], pd[near]
    a_start, b_start = np.cumsum(a_count) - a_count, np.cumsum(b_count) - b_count
    size = a_count[pa] * b_count[pb]
    keep = np.flatnonzero(size)
    pa, pb, pd, size = pa[keep], pb[keep], pd[keep], size[keep]
    ends = np.cumsum(size)
    first = 0
    while first < len(size):
        done = int(ends[first - 1]) if first else 0
        last = max(first + 1, int(np.searchsorted(ends, done + CHUNK_PAIRS, "right")))
        s = size[first:last]
        block = np.repeat(np.arange(len(s)), s)
        local = np.arange(int(s.sum()), dtype=np.int64) - np.repeat(np.cumsum(s) - s, s)
        width = b_count[pb[first:last]][block]
        row = local // width
        col = local - row * width
        a = a_sorted[a_start[pa[first:last]][block] + row]
        b = b_sorted[b_start[pb[first:last]][block] + col]
        yield a, b, pd[first:last][block]
        first = last


def iter_candidates(
    index: Index, stages: npt.NDArray[np.int64] | None = None
) -> Iterator[tuple[Int32, Int32, Float64]]:
    """All candidate pairs (request, mentor, distance km), chunk by chunk, deterministically.

    Buckets by programme (rule 1 selects the requests and mentors), finds nearby points once,
    expands to person pairs and applies the rules. With ``stages`` (shape
    ``(requests, len(RULES) + 1)``), also counts per request the nearby pairs by the first rule
    they fail, which :func:`explain` turns into passed counts.
    """
    if index.n_requests == 0 or len(index.mentors) == 0:
        return
    max_km = float(min(index.n.limit_km.max(), index.m.limit_km.max()))
    pa, pb, pd = point_pairs(index, max_km)
    n_points, m_points = len(index.n.point_lat), len(index.m.point_lat)
    bounds = np.zeros(n_points + 1, dtype=np.int64)
    np.cumsum(np.bincount(pa, minlength=n_points), out=bounds[1:])
    width = len(RULES) + 1
    for p in range(len(index.programmes)):
        reqs = np.flatnonzero((index.req_programme == p) & index.req_age_ok).astype(np.int32)
        mens: Int32 = np.flatnonzero(index.mentor_programmes[:, p]).astype(np.int32)
        if stages is None:
            mens = mens[index.residual[mens] > 0]
        if len(reqs) == 0 or len(mens) == 0:
            continue
        for bucket_reqs, bucket_mens, language in _language_buckets(index, reqs, mens):
            req_point = index.n.point[index.req_newcomer[bucket_reqs]]
            men_point = index.m.point[bucket_mens]
            for req, men, dist in _expand(
                bucket_reqs,
                req_point,
                bucket_mens,
                men_point,
                pa,
                pb,
                pd,
                n_points,
                m_points,
                bounds,
            ):
                if language >= 0:
                    first = _lowest_shared_is(index, req, men, language)
                    req, men, dist = req[first], men[first], dist[first]
                stage, _ = first_failed_rule(index, req, men, dist, known=1)
                if stages is not None:
                    found = np.bincount(req.astype(np.int64) * width + stage, minlength=stages.size)
                    stages += found.reshape(stages.shape)
                keep = stage == len(RULES)
                yield req[keep], men[keep], dist[keep]


def _language_buckets(index: Index, reqs: Int32, mens: Int32) -> Iterator[tuple[Int32, Int32, int]]:
    """Split a programme's requests and mentors by shared language, so pairs with no common
    language are never built. A pair sharing several languages appears in several buckets;
    :func:`_lowest_shared_is` keeps it in one. With more than 64 languages (several bitset
    words) there is one bucket of everything (language -1)."""
    if index.n.languages.shape[1] != 1:
        yield reqs, mens, -1
        return
    n_bits = index.n.languages[index.req_newcomer[reqs], 0]
    m_bits = index.m.languages[mens, 0]
    spoken = np.bitwise_or.reduce(n_bits) & np.bitwise_or.reduce(m_bits)
    for language in range(64):
        bit = np.uint64(1) << np.uint64(language)
        if not spoken & bit:
            continue
        yield reqs[(n_bits & bit) != 0], mens[(m_bits & bit) != 0], language


def _lowest_shared_is(index: Index, req: Int32, men: Int32, language: int) -> Bool:
    """Whether ``language`` is the lowest-numbered language each pair shares."""
    shared = index.n.languages[index.req_newcomer[req], 0] & index.m.languages[men, 0]
    below = np.uint64((1 << language) - 1)
    return np.asarray((shared & below) == 0, dtype=np.bool_)


def passed_counts(stage: npt_int8) -> tuple[str | None, dict[str, int]]:
    """Reason and passed counts from the stages of one request's pairs with every mentor.

    The reason is the first rule after which no mentor is left (``None`` when some are); the
    counts run up to and including that rule, or over all rules.
    """
    passed: dict[str, int] = {}
    for k, rule in enumerate(RULES):
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
            req = np.full(len(mens), r, dtype=np.int32)
            language_count[member] = np.count_nonzero(
                _language(index, req, mens, np.zeros(len(mens)))
            )
    in_programme = index.mentor_programmes.sum(axis=0)[p]
    in_programme = np.where(index.req_age_ok[requests], in_programme, 0)
    nearby = stages[requests]
    # Pairs left after rule k: those whose first failure comes later.
    left_after = np.cumsum(nearby[:, ::-1], axis=1)[:, ::-1]
    out: list[tuple[str, dict[str, int]]] = []
    for i in range(len(requests)):
        counts = [int(in_programme[i]), int(language_count[i])]
        counts += [int(left_after[i, k + 1]) for k in range(_DISTANCE, len(RULES))]
        passed: dict[str, int] = {}
        reason = "capacity"
        for rule, left in zip(RULES, counts, strict=True):
            passed[rule] = left
            if left == 0:
                reason = rule
                break
        out.append((reason, passed))
    return out


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


def suggest(problem: Problem, newcomer: str, programme: str, limit: int = 5) -> Suggestions:
    """The ``limit`` best mentors for ``newcomer`` in ``programme``, best first.

    Uses the solver's rules and score: mentors full after ``fixed`` are removed by the capacity
    rule, pairs in ``forbidden`` or ``fixed`` by the forbidden rule. Ties are broken by mentor
    id. The newcomer need not have asked for the programme yet. Raises :class:`ProblemError`
    for an invalid problem or an unknown newcomer or programme.
    """
    validate(problem)
    person = next((x for x in problem.newcomers if x.id == newcomer), None)
    if person is None:
        raise ProblemError("unknown newcomer", record=f'newcomer "{newcomer}"', field=None)
    if programme not in {p.code for p in problem.programmes}:
        raise ProblemError(
            f"unknown {programme!r}", record=f'newcomer "{newcomer}"', field="programme"
        )
    if programme not in person.programmes:
        person = replace(person, programmes=(*person.programmes, programme))
    index = build_index(replace(problem, newcomers=(person,)))
    request = next(r for r in range(index.n_requests) if index.request_label(r)[1] == programme)
    men = np.arange(len(index.mentors), dtype=np.int32)
    req = np.full(len(men), request, dtype=np.int32)
    stage, dist = first_failed_rule(index, req, men)
    reason, passed = passed_counts(stage)
    ok = np.flatnonzero(stage == len(RULES)).astype(np.int32)
    parts = scoring.components(index, req[ok], men[ok], dist[ok])
    scores = scoring.score(index, parts)
    ids = [index.m.ids[int(m)] for m in men[ok]]
    ranked = sorted(range(len(ok)), key=lambda i: (-scores[i], ids[i]))[: max(0, limit)]
    chosen = tuple(
        Candidate(
            mentor=ids[i],
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
    if programme not in person.programmes:
        person = replace(person, programmes=(*person.programmes, programme))
    index = build_index(replace(problem, newcomers=(person,)))
    request = next(r for r in range(index.n_requests) if index.request_label(r)[1] == programme)
    req = np.array([request], dtype=np.int32)
    men = np.array([index.m.ids.index(mentor)], dtype=np.int32)
    dist = pair_distance_km(index, req, men)
    failed = tuple(
        name
        for name, rule in zip(RULES, RULE_FUNCTIONS, strict=True)
        if not bool(rule(index, req, men, dist)[0])
    )
    parts = scoring.components(index, req, men, dist)
    return PairCheck(
        failed=failed,
        score=float(scoring.score(index, parts)[0]),
        distance_km=float(dist[0]),
        components=parts.at(0),
    )
