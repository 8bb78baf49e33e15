"""The score of a candidate pair and the objective weight: the one place they are computed.

The ``pair_*`` functions score one pair (request index, mentor index) of an
:class:`~matching._index.Index` from its :class:`~matching._index.Arrays`; they are compiled,
and the candidate kernel calls them. The array functions below apply the same ones to many
pairs, so the solver, the suggestions and the explanations share them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching._index import (
    Arrays,
    Bool,
    Float64,
    Index,
    Int32,
    Int64,
    UInt64,
    contains,
    speaks_in,
)
from matching._jit import jit, pair_jit
from matching.model import Components

#: Objective weights are scaled by this before rounding to the flow's integer costs. Each
#: weight moves by at most 0.5 / COST_SCALE, so the optimum under rounded costs is within
#: 1 / COST_SCALE = 0.0001 per match of the true one: ten times inside the contract's 0.001.
#: A finer scale only adds cost-scaling phases to the flow solver.
COST_SCALE = 10_000

#: Waiting counts fully from this many days on.
WAITING_FULL_DAYS = 180.0

#: The age component reaches 0 at this age difference.
AGE_SPAN_YEARS = 40.0

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@pair_jit
def _popcount(x: np.uint64) -> int:
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return int((x * _H01) >> np.uint64(56))


@pair_jit
def pair_limit_km(a: Arrays, r: int, m: int) -> float:
    """The pair's distance limit: the smaller of the two people's limits (rule 3)."""
    limit: float = min(a.n_limit[a.req_newcomer[r]], a.m_limit[m])
    return limit


# Each pair_* function reads what it needs from ``a`` into locals first and then calls only
# functions of those locals: numba then passes no reference counts around (ten times faster).


@pair_jit
def _components_of(
    m_lang: UInt64,
    first: int,
    n_int: UInt64,
    m_int: UInt64,
    n: int,
    m: int,
    age_n: float,
    age_m: float,
    limit: float,
    dist: float,
) -> tuple[float, float, float, float]:
    language = 0.5
    if speaks_in(m_lang, m, first):
        language = 1.0
    distance = 1.0
    if limit > 0:
        distance = min(1.0, max(0.0, 1.0 - dist / limit))
    shared = 0
    union = 0
    for w in range(n_int.shape[1]):
        x = n_int[n, w]
        y = m_int[m, w]
        shared += _popcount(x & y)
        union += _popcount(x | y)
    interests = 0.0
    if union > 0:
        interests = shared / union
    age = 0.5
    if not np.isnan(age_n):
        if not np.isnan(age_m):
            age = max(0.0, 1.0 - abs(age_m - age_n) / AGE_SPAN_YEARS)
    return language, distance, interests, age


@pair_jit
def pair_components(a: Arrays, r: int, m: int, dist: float) -> tuple[float, float, float, float]:
    """(language, distance, interests, age) components of one pair, as the contract says."""
    n = a.req_newcomer[r]
    return _components_of(
        a.m_languages,
        a.first_language[n],
        a.n_interests,
        a.m_interests,
        n,
        m,
        a.n_age[n],
        a.m_age[m],
        pair_limit_km(a, r, m),
        dist,
    )


@pair_jit
def _score_of(
    w_l: float, w_d: float, w_i: float, w_a: float, lang: float, d: float, i: float, g: float
) -> float:
    return w_l * lang + w_d * d + w_i * i + w_a * g


@pair_jit
def pair_score(a: Arrays, language: float, distance: float, interests: float, age: float) -> float:
    """``Σ weight_k · component_k`` with the policy's weights."""
    return _score_of(
        a.w_language, a.w_distance, a.w_interests, a.w_age, language, distance, interests, age
    )


@pair_jit
def _kept_of(first: int, extra: Int64, n_mentors: int, r: int, m: int) -> bool:
    if first == m:
        return True
    return contains(extra, r * n_mentors + m)


@pair_jit
def pair_kept(a: Arrays, r: int, m: int) -> bool:
    """Whether the pair is last run's proposal for the same request (same programme)."""
    return _kept_of(a.previous_mentor[r], a.previous_extra, a.n_mentors, r, m)


@pair_jit
def _weight_of(score: float, waiting_days: float, waiting_weight: float, bonus: float) -> float:
    return score + waiting_weight * min(1.0, waiting_days / WAITING_FULL_DAYS) + bonus


@pair_jit
def pair_weight(a: Arrays, r: int, m: int, score: float) -> float:
    """A pair's term of the objective: score + waiting bonus + keep bonus."""
    waiting, weight, bonus = a.waiting_days[a.req_newcomer[r]], a.waiting_weight, a.keep_bonus
    if not pair_kept(a, r, m):
        bonus = 0.0
    return _weight_of(score, waiting, weight, bonus)


@pair_jit
def cost_of(weight: float) -> int:
    """The flow's arc cost of an objective weight: scaled and rounded, negated to minimise."""
    return -int(np.rint(weight * COST_SCALE))


@pair_jit
def pair_cost(a: Arrays, r: int, m: int, dist: float) -> int:
    """The flow's integer arc cost of a candidate pair at distance ``dist``."""
    n = a.req_newcomer[r]
    m_lang, first, n_int, m_int = a.m_languages, a.first_language[n], a.n_interests, a.m_interests
    age_n, age_m, limit = a.n_age[n], a.m_age[m], pair_limit_km(a, r, m)
    w_l, w_d, w_i, w_a = a.w_language, a.w_distance, a.w_interests, a.w_age
    waiting, waiting_weight, bonus = a.waiting_days[n], a.waiting_weight, a.keep_bonus
    previous, extra, n_mentors = a.previous_mentor[r], a.previous_extra, a.n_mentors
    language, distance, interests, age = _components_of(
        m_lang, first, n_int, m_int, n, m, age_n, age_m, limit, dist
    )
    score = _score_of(w_l, w_d, w_i, w_a, language, distance, interests, age)
    if not _kept_of(previous, extra, n_mentors, r, m):
        bonus = 0.0
    return cost_of(_weight_of(score, waiting, waiting_weight, bonus))


@dataclass(frozen=True, slots=True)
class ComponentArrays:
    """The four score components of many pairs, each a float64 array in [0, 1]."""

    language: Float64
    distance: Float64
    interests: Float64
    age: Float64

    def at(self, i: int) -> Components:
        """The components of pair ``i`` as the public dataclass."""
        return Components(
            language=float(self.language[i]),
            distance=float(self.distance[i]),
            interests=float(self.interests[i]),
            age=float(self.age[i]),
        )


@jit
def _components(a: Arrays, req: Int32, men: Int32, dist: Float64) -> Float64:
    out = np.empty((4, len(req)), dtype=np.float64)
    for i in range(len(req)):
        c = pair_components(a, req[i], men[i], dist[i])
        out[0, i], out[1, i], out[2, i], out[3, i] = c
    return out


@jit
def _scores(a: Arrays, parts: Float64) -> Float64:
    out = np.empty(parts.shape[1], dtype=np.float64)
    for i in range(len(out)):
        out[i] = pair_score(a, parts[0, i], parts[1, i], parts[2, i], parts[3, i])
    return out


@jit
def _kept(a: Arrays, req: Int32, men: Int32) -> Bool:
    out = np.empty(len(req), dtype=np.bool_)
    for i in range(len(req)):
        out[i] = pair_kept(a, req[i], men[i])
    return out


@jit
def _weights(a: Arrays, req: Int32, men: Int32, score: Float64) -> Float64:
    out = np.empty(len(req), dtype=np.float64)
    for i in range(len(req)):
        out[i] = pair_weight(a, req[i], men[i], score[i])
    return out


@jit
def _costs(weight: Float64) -> Int64:
    out = np.empty(len(weight), dtype=np.int64)
    for i in range(len(weight)):
        out[i] = cost_of(weight[i])
    return out


def _pairs(req: Int32, men: Int32) -> tuple[Int32, Int32]:
    return np.ascontiguousarray(req, dtype=np.int32), np.ascontiguousarray(men, dtype=np.int32)


def components(index: Index, req: Int32, men: Int32, dist: Float64) -> ComponentArrays:
    """Score components of pairs (:func:`pair_components`, pair by pair)."""
    r, m = _pairs(req, men)
    parts = _components(index.arrays, r, m, np.ascontiguousarray(dist, dtype=np.float64))
    return ComponentArrays(language=parts[0], distance=parts[1], interests=parts[2], age=parts[3])


def score(index: Index, parts: ComponentArrays) -> Float64:
    """``Σ weight_k · component_k`` with the policy's weights (:func:`pair_score`)."""
    stacked = np.ascontiguousarray(
        np.stack([parts.language, parts.distance, parts.interests, parts.age]), dtype=np.float64
    )
    return np.asarray(_scores(index.arrays, stacked))


def kept(index: Index, req: Int32, men: Int32) -> Bool:
    """Whether each pair is last run's proposal for the same request (:func:`pair_kept`)."""
    return np.asarray(_kept(index.arrays, *_pairs(req, men)))


def objective_weight(index: Index, req: Int32, men: Int32, pair_score: Float64) -> Float64:
    """Each pair's term of the objective (:func:`pair_weight`)."""
    r, m = _pairs(req, men)
    return np.asarray(
        _weights(index.arrays, r, m, np.ascontiguousarray(pair_score, dtype=np.float64))
    )


def integer_costs(weight: Float64) -> Int64:
    """The flow's arc costs of objective weights (:func:`cost_of`)."""
    return np.asarray(_costs(np.ascontiguousarray(weight, dtype=np.float64)))
