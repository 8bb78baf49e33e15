"""``solve(problem) -> Solution``: candidates, the exact flow, and the explained result."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from matching import scoring
from matching._flow import max_flow_min_cost
from matching._groups import TIME_LIMIT_S
from matching._index import build_index
from matching._stage import group_stage
from matching.candidates import candidate_arcs, explain, pair_distance_km
from matching.model import (
    Components,
    Group,
    GroupShortfall,
    Match,
    Problem,
    Solution,
    Stats,
    Unmatched,
)
from matching.validate import validate


@dataclass(frozen=True, slots=True)
class Timings:
    """Where a solve spent its time, in seconds (for the command's summary and benchmarks)."""

    build: float  # validation, arrays, candidate pairs and their costs
    flow: float  # the min-cost flow
    finish: float  # scores of the matches, reasons of the unmatched
    groups: float = 0.0  # the group stage (CP-SAT where the relaxation is not enough)


def solve_with_timings(
    problem: Problem, *, group_time_limit: float = TIME_LIMIT_S
) -> tuple[Solution, Timings]:
    """:func:`solve`, also returning where the time went."""
    started = time.perf_counter()
    validate(problem)
    index = build_index(problem)
    arcs = candidate_arcs(index)
    req, men, cost, stages = arcs.req, arcs.men, arcs.cost, arcs.stages
    has_groups = arcs.grouped < len(req) or bool(index.group_fixed)
    built = time.perf_counter()
    # Views, not copies: the group programmes' arcs come last (at 100,000 newcomers a copy
    # of the flow's arcs is over 2 GB).
    f_req, f_men, f_cost = req[: arcs.grouped], men[: arcs.grouped], cost[: arcs.grouped]
    n = index.req_newcomer
    position = np.concatenate(
        [
            np.stack([index.n.lat[n], index.n.lon[n]], axis=1),
            np.stack([index.m.lat, index.m.lon], axis=1),
        ]
    )
    result = max_flow_min_cost(
        f_req, f_men, index.row_unit[n], f_cost, index.n_requests, index.residual, position
    )
    used = np.flatnonzero(result.used)
    chosen_req, chosen_men = f_req[used], f_men[used]
    optimal, gap = result.optimal, 0.0
    groups: tuple[Group, ...] = ()
    shortfalls: dict[int, tuple[str, int, GroupShortfall | None]] = {}
    flowed = time.perf_counter()
    if has_groups:
        g = slice(arcs.grouped, None)
        stage = group_stage(
            index, req[g], men[g], cost[g], stages, chosen_req, chosen_men, group_time_limit
        )
        chosen_req = np.concatenate([chosen_req, stage.req])
        chosen_men = np.concatenate([chosen_men, stage.men])
        optimal, gap = optimal and stage.optimal, stage.gap
        groups, shortfalls = stage.groups, stage.shortfalls
    grouped = time.perf_counter()

    order = np.lexsort((chosen_men, chosen_req))
    m_req, m_men = chosen_req[order], chosen_men[order]
    dist = pair_distance_km(index, m_req, m_men)
    parts = scoring.components(index, m_req, m_men, dist)
    scores = scoring.score(index, parts)
    weights = scoring.objective_weight(index, m_req, m_men, scores)
    kept = scoring.kept(index, m_req, m_men)
    # Plain lists first (indexing numpy arrays element by element costs more than the rest),
    # and the records made by positional arguments, a column at a time.
    n_ids, m_ids = index.n.ids, index.m.ids
    codes = [p.code for p in index.programmes]
    # Index -1 (no household) is the None at the end.
    household_ids = [*(h.id for h in index.households), None]
    components = map(
        Components,
        parts.language.tolist(),
        parts.distance.tolist(),
        parts.interests.tolist(),
        parts.age.tolist(),
    )
    matches = list(
        map(
            Match,
            map(n_ids.__getitem__, index.req_newcomer[m_req].tolist()),
            map(codes.__getitem__, index.req_programme[m_req].tolist()),
            map(m_ids.__getitem__, m_men.tolist()),
            scores.tolist(),
            dist.tolist(),
            components,
            kept.tolist(),
            map(household_ids.__getitem__, index.req_household[m_req].tolist()),
        )
    )
    is_matched = np.zeros(index.n_requests, dtype=np.bool_)
    is_matched[m_req] = True
    open_requests = np.flatnonzero(~is_matched).astype(np.int32)
    explained = explain(index, open_requests, stages)
    groups_short: list[GroupShortfall | None] = [None] * len(open_requests)
    for r, (reason, running, shortfall) in shortfalls.items():
        i = int(np.searchsorted(open_requests, r))  # open_requests is sorted
        if i == len(open_requests) or open_requests[i] != r:
            continue  # a shortfall of a request matched after all: it has no reason
        explained[i] = (reason, {**explained[i][1], "group_size": running})
        groups_short[i] = shortfall
    reasons, passed = zip(*explained, strict=True) if explained else ((), ())
    unmatched = list(
        map(
            Unmatched,
            map(n_ids.__getitem__, index.req_newcomer[open_requests].tolist()),
            map(codes.__getitem__, index.req_programme[open_requests].tolist()),
            reasons,
            map(MappingProxyType, passed),
            groups_short,
        )
    )
    finished = time.perf_counter()
    stats = Stats(
        requests=index.n_requests,
        mentors=len(index.mentors),
        candidates=len(req),
        matched=len(matches),
        objective=math.fsum(float(w) for w in weights),
        optimal=optimal,
        seconds=finished - started,
        gap=gap,
    )
    solution = Solution(
        matches=tuple(matches), unmatched=tuple(unmatched), stats=stats, groups=groups
    )
    timings = Timings(
        build=built - started,
        flow=flowed - built,
        finish=finished - grouped,
        groups=grouped - flowed,
    )
    return solution, timings


def solve(problem: Problem, *, group_time_limit: float = TIME_LIMIT_S) -> Solution:
    """The optimal matching of ``problem`` under the contract (shared/design/MATCHING.md).

    Validates first (raising :class:`~matching.errors.ProblemError`); then maximises the
    number of matched requests and, among those matchings, the sum of score, waiting bonus
    and keep bonus; then the groups of ``unit: group`` programmes (CP-SAT, stopped after
    ``group_time_limit`` seconds with ``optimal=False`` and the gap). The same problem, in
    any order, gives the same solution.
    """
    return solve_with_timings(problem, group_time_limit=group_time_limit)[0]
