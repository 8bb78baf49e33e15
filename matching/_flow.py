"""The exact optimum as a max flow of minimum cost (OR-Tools SimpleMinCostFlow).

Network: source -> request (capacity 1) -> mentor (capacity 1, cost = -weight) -> sink
(capacity = places left). When one newcomer has two requests that could both go to the same
mentor, those arcs pass through a (newcomer, mentor) node whose single unit of capacity keeps
the newcomer from getting that mentor twice; pairs with no such conflict skip the middle
node, which is equivalent and keeps the graph small.
Maximum flow first and minimum cost among maximum flows is exactly the contract's
lexicographic objective, with no big-M.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from matching._index import Bool, Int32, Int64
from matching.errors import MatchingError


@dataclass(frozen=True, slots=True)
class FlowResult:
    """Which candidate arcs carry flow, and whether the solver proved optimality."""

    used: Bool
    optimal: bool


def max_flow_min_cost(
    req: Int32,
    men: Int32,
    newcomer: Int32,
    cost: Int64,
    n_requests: int,
    residual: Int32,
) -> FlowResult:
    """Solve the matching flow for candidate arcs ``(req[i], men[i])`` of ``cost[i]``.

    ``newcomer[i]`` is the newcomer of ``req[i]``; ``residual[m]`` the places mentor m has.
    """
    k = len(req)
    if k == 0:
        return FlowResult(used=np.zeros(0, dtype=np.bool_), optimal=True)
    n_mentors = len(residual)
    source, sink, first_request = 0, 1, 2
    first_mentor = first_request + n_requests
    first_middle = first_mentor + n_mentors

    heads = (first_mentor + men).astype(np.int64)
    keys = newcomer.astype(np.int64) * n_mentors + men
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.ones(k, dtype=np.bool_)
    starts[1:] = sorted_keys[1:] != sorted_keys[:-1]
    group = np.cumsum(starts) - 1
    size = np.bincount(group)
    shared = size[group] >= 2  # in sorted order
    shared_groups = np.flatnonzero(size >= 2)
    middle_of_group = np.full(len(size), -1, dtype=np.int64)
    middle_of_group[shared_groups] = first_middle + np.arange(len(shared_groups))
    through = order[shared]
    heads[through] = middle_of_group[group[shared]]
    middle_tails = middle_of_group[shared_groups]
    middle_heads = first_mentor + men[order[np.flatnonzero(starts)[shared_groups]]]

    requests = np.unique(req).astype(np.int64)
    mentors = np.unique(men).astype(np.int64)
    tails = np.concatenate(
        [np.full(len(requests), source), first_request + req, middle_tails, first_mentor + mentors]
    ).astype(np.int32)
    all_heads = np.concatenate(
        [first_request + requests, heads, middle_heads, np.full(len(mentors), sink)]
    ).astype(np.int32)
    capacities = np.concatenate(
        [
            np.ones(len(requests) + k + len(middle_tails), dtype=np.int64),
            residual[mentors].astype(np.int64),
        ]
    )
    costs = np.concatenate(
        [
            np.zeros(len(requests), dtype=np.int64),
            cost,
            np.zeros(len(middle_tails) + len(mentors), dtype=np.int64),
        ]
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, all_heads, capacities, costs)
    flow.set_node_supply(source, len(requests))
    flow.set_node_supply(sink, -len(requests))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise MatchingError(f"min-cost flow failed with status {status}")
    arcs = np.arange(len(requests), len(requests) + k, dtype=np.int32)
    used = np.asarray(flow.flows(arcs)) > 0
    return FlowResult(used=np.asarray(used, dtype=np.bool_), optimal=True)
