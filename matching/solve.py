"""``solve(problem) -> Solution``: candidates, the exact flow, and the explained result."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from matching import scoring
from matching._flow import max_flow_min_cost
from matching._index import build_index
from matching.candidates import candidate_arcs, explain, pair_distance_km
from matching.model import Match, Problem, Solution, Stats, Unmatched
from matching.validate import validate


@dataclass(frozen=True, slots=True)
class Timings:
    """Where a solve spent its time, in seconds (for the command's summary and benchmarks)."""

    build: float  # validation, arrays, candidate pairs and their costs
    flow: float  # the min-cost flow
    finish: float  # scores of the matches, reasons of the unmatched


def solve_with_timings(problem: Problem) -> tuple[Solution, Timings]:
    """:func:`solve`, also returning where the time went."""
    started = time.perf_counter()
    validate(problem)
    index = build_index(problem)
    arcs = candidate_arcs(index)
    req, men, cost, stages = arcs.req, arcs.men, arcs.cost, arcs.stages
    built = time.perf_counter()
    n = index.req_newcomer
    position = np.concatenate(
        [
            np.stack([index.n.lat[n], index.n.lon[n]], axis=1),
            np.stack([index.m.lat, index.m.lon], axis=1),
        ]
    )
    result = max_flow_min_cost(
        req, men, index.req_newcomer[req], cost, index.n_requests, index.residual, position
    )
    flowed = time.perf_counter()

    used = np.flatnonzero(result.used)
    order = np.lexsort((men[used], req[used]))
    m_req, m_men = req[used][order], men[used][order]
    dist = pair_distance_km(index, m_req, m_men)
    parts = scoring.components(index, m_req, m_men, dist)
    scores = scoring.score(index, parts)
    weights = scoring.objective_weight(index, m_req, m_men, scores)
    kept = scoring.kept(index, m_req, m_men)
    matches = []
    for i in range(len(m_req)):
        newcomer, programme = index.request_label(int(m_req[i]))
        matches.append(
            Match(
                newcomer=newcomer,
                programme=programme,
                mentor=index.m.ids[int(m_men[i])],
                score=float(scores[i]),
                distance_km=float(dist[i]),
                components=parts.at(i),
                kept=bool(kept[i]),
            )
        )
    is_matched = np.zeros(index.n_requests, dtype=np.bool_)
    is_matched[m_req] = True
    open_requests = np.flatnonzero(~is_matched).astype(np.int32)
    unmatched = []
    for r, (reason, passed) in zip(
        open_requests, explain(index, open_requests, stages), strict=True
    ):
        newcomer, programme = index.request_label(int(r))
        unmatched.append(
            Unmatched(
                newcomer=newcomer,
                programme=programme,
                reason=reason,
                passed=MappingProxyType(passed),
            )
        )
    finished = time.perf_counter()
    stats = Stats(
        requests=index.n_requests,
        mentors=len(index.mentors),
        candidates=len(req),
        matched=len(matches),
        objective=math.fsum(float(w) for w in weights),
        optimal=result.optimal,
        seconds=finished - started,
    )
    solution = Solution(matches=tuple(matches), unmatched=tuple(unmatched), stats=stats)
    return solution, Timings(build=built - started, flow=flowed - built, finish=finished - flowed)


def solve(problem: Problem) -> Solution:
    """The optimal matching of ``problem`` under the contract (shared/design/MATCHING.md).

    Validates first (raising :class:`~matching.errors.ProblemError`); then maximises the
    number of matched requests and, among those matchings, the sum of score, waiting bonus
    and keep bonus. The same problem, in any order, gives the same solution.
    """
    return solve_with_timings(problem)[0]
