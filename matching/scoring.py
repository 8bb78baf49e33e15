"""The score of a candidate pair and the objective weight: the one place they are computed.

Every function works on arrays of pairs (request index, mentor index) of an
:class:`~matching._index.Index`, so the solver, the suggestions and the explanations share it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching._index import Float64, Index, Int32, Int64, mentor_speaks, popcounts
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


def pair_limit_km(index: Index, req: Int32, men: Int32) -> Float64:
    """The pair's distance limit: the smaller of the two people's limits (rule 3)."""
    return np.minimum(index.n.limit_km[index.req_newcomer[req]], index.m.limit_km[men])


def components(index: Index, req: Int32, men: Int32, dist: Float64) -> ComponentArrays:
    """Score components of pairs, exactly as the contract defines them."""
    n = index.req_newcomer[req]
    language = np.where(mentor_speaks(index, men, index.first_language[n]), 1.0, 0.5).astype(
        np.float64
    )
    limit = pair_limit_km(index, req, men)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.where(limit > 0, 1.0 - dist / limit, 1.0)
    distance = np.clip(distance, 0.0, 1.0)
    shared, union = popcounts(index.n.interests, n, index.m.interests, men)
    interests = np.where(union > 0, shared / np.maximum(union, 1), 0.0)
    age_n, age_m = index.n.age[n], index.m.age[men]
    with np.errstate(invalid="ignore"):
        age = np.maximum(0.0, 1.0 - np.abs(age_m - age_n) / AGE_SPAN_YEARS)
    age = np.where(np.isnan(age_n) | np.isnan(age_m), 0.5, age)
    return ComponentArrays(
        language=np.asarray(language, dtype=np.float64),
        distance=np.asarray(distance, dtype=np.float64),
        interests=np.asarray(interests, dtype=np.float64),
        age=np.asarray(age, dtype=np.float64),
    )


def score(index: Index, parts: ComponentArrays) -> Float64:
    """``Σ weight_k · component_k`` with the policy's weights."""
    w = index.policy.weights
    return np.asarray(
        w.language * parts.language
        + w.distance * parts.distance
        + w.interests * parts.interests
        + w.age * parts.age,
        dtype=np.float64,
    )


def kept(index: Index, req: Int32, men: Int32) -> np.ndarray[tuple[int], np.dtype[np.bool_]]:
    """Whether each pair is last run's proposal for the same request (same programme)."""
    same = index.previous_mentor[req] == men
    extra = index.previous_extra
    if len(extra):
        keys = req.astype(np.int64) * len(index.mentors) + men
        pos = np.minimum(np.searchsorted(extra, keys), len(extra) - 1)
        same |= extra[pos] == keys
    return np.asarray(same, dtype=np.bool_)


def objective_weight(index: Index, req: Int32, men: Int32, pair_score: Float64) -> Float64:
    """A pair's term of the objective: score + waiting bonus + keep bonus."""
    policy = index.policy
    waiting = np.minimum(1.0, index.waiting_days[index.req_newcomer[req]] / WAITING_FULL_DAYS)
    bonus = np.where(kept(index, req, men), policy.keep_bonus, 0.0)
    return np.asarray(pair_score + policy.waiting_weight * waiting + bonus, dtype=np.float64)


def integer_costs(weight: Float64) -> Int64:
    """The flow's arc costs: objective weights scaled and rounded, negated to minimise."""
    return np.asarray(-np.rint(weight * COST_SCALE), dtype=np.int64)
