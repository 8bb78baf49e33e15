"""Estimated prices of the matching's dual, by an auction over every candidate arc.

The certified flow (matching._certify) solves on a small set of arcs and proves the answer
for all of them. Which arcs belong in that set is best judged by reduced costs under the
whole problem's dual prices, which the small solve cannot know (its own prices see only
the competition inside the set). A forward auction with ε-scaling (Bertsekas) estimates them
in a fraction of a second: each request bids for the mentor of the best value less price,
raising that price by the bid's margin; a mentor's price is its lowest held bid once its
places are full, else 0. Value is ``M - cost``, with ``M`` above every weight, so placing a
request always pays (the contract's most-matches-first, roughly).

Only an estimate: the never-twice middle nodes are ignored and the auction may stop early on
a bid budget. Nothing depends on these prices being right except speed; the certificate
decides optimality on its own.
"""

from __future__ import annotations

import numpy as np

from matching._index import Int32, Int64
from matching._jit import jit

#: ε-scaling: from COST_SCALE / 100 of a score down to one cost unit, by tenths.
EPS_START, EPS_END, EPS_FACTOR = 100, 1, 10
#: Bids per request and phase before a phase stops (a price war on ties cannot run long).
BID_BUDGET = 20


@jit
def by_group(group: Int32, n_groups: int) -> tuple[Int64, Int32]:
    """Counting sort of the arcs by group (a request, a mentor): ``order[start[g]:start[g +
    1]]`` are g's arcs, in arc order (32-bit: 2**31 arcs would not fit in memory anyway)."""
    count = np.zeros(n_groups + 1, dtype=np.int64)
    for g in group:
        count[g + 1] += 1
    start = np.cumsum(count)
    fill = start[:-1].copy()
    order = np.empty(len(group), dtype=np.int32)
    for i in range(len(group)):
        order[fill[group[i]]] = i
        fill[group[i]] += 1
    return start, order


@jit
def _auction(
    start: Int64,
    order: Int32,
    men: Int32,
    cost: Int64,
    lift: int,
    capacity: Int64,
    n_mentors: int,
) -> Int64:
    """Mentor prices after a forward auction with ε-scaling (see the module docstring); an
    arc's value is ``lift - cost``."""
    n = len(start) - 1
    price = np.zeros(n_mentors, dtype=np.int64)
    # A mentor holds at most as many bids as it has arcs: places beyond that never fill.
    degree = np.zeros(n_mentors, dtype=np.int64)
    for m in men:
        degree[m] += 1
    places = np.minimum(np.maximum(capacity, 0), degree)
    first_slot = np.zeros(n_mentors + 1, dtype=np.int64)
    first_slot[1:] = np.cumsum(places)
    holder = np.full(first_slot[-1], -1, dtype=np.int64)
    bid = np.zeros(first_slot[-1], dtype=np.int64)
    held = np.zeros(n_mentors, dtype=np.int64)
    queue = np.empty(n + 1, dtype=np.int64)
    eps = EPS_START
    while True:
        held[:] = 0
        size = 0
        for r in range(n):
            if start[r + 1] > start[r]:
                queue[size] = r
                size += 1
        first, last = 0, size
        budget = BID_BUDGET * n
        while size and budget:
            r = queue[first]
            first = (first + 1) % (n + 1)
            size -= 1
            best, v1, v2 = -1, np.int64(0), np.int64(0)
            for j in range(start[r], start[r + 1]):
                arc = order[j]
                m = men[arc]
                if capacity[m] <= 0:
                    continue
                v = lift - cost[arc] - price[m]
                if v > v1:
                    v2 = v1
                    v1 = v
                    best = arc
                elif v > v2:
                    v2 = v
            if best < 0:
                continue  # nothing pays at these prices: r stays out
            budget -= 1
            m = men[best]
            offer = lift - cost[best] - v2 + eps
            base = first_slot[m]
            if held[m] < places[m]:
                slot = base + held[m]
                held[m] += 1
            else:
                slot = base
                for s in range(base + 1, base + held[m]):
                    if bid[s] < bid[slot]:
                        slot = s
                queue[last] = holder[slot]  # outbid: back in the queue
                last = (last + 1) % (n + 1)
                size += 1
            holder[slot], bid[slot] = r, offer
            if held[m] == capacity[m]:
                low = bid[base]
                for s in range(base + 1, base + held[m]):
                    low = min(low, bid[s])
                price[m] = low
        if eps <= EPS_END:
            return price
        eps = max(EPS_END, eps // EPS_FACTOR)


@jit
def _node_potentials(
    start: Int64,
    order: Int32,
    men: Int32,
    cost: Int64,
    price: Int64,
    lift: int,
    request_node: Int64,
    mentor_node: Int64,
    middle_tail: Int32,
    middle_head: Int32,
    n_nodes: int,
) -> Int64:
    """Potentials of the flow network's nodes from the prices: a request's is its best
    profit (at least 0) less ``lift``, a mentor's its price negated, a middle node's its
    mentor's; shifted so that none is above 0."""
    d = np.zeros(n_nodes, dtype=np.int64)
    for r in range(len(start) - 1):
        profit = np.int64(0)
        for j in range(start[r], start[r + 1]):
            arc = order[j]
            profit = max(profit, lift - cost[arc] - price[men[arc]])
        d[request_node[r]] = profit - lift
    for m in range(len(mentor_node)):
        d[mentor_node[m]] = -price[m]
    for i in range(len(middle_tail)):
        d[middle_tail[i]] = d[middle_head[i]]
    top = d.max()
    for v in range(n_nodes):
        d[v] -= top
    return d


def auction_prices(
    req_start: Int64, req_order: Int32, men: Int32, cost: Int64, capacity: Int64, n_mentors: int
) -> tuple[Int64, int]:
    """Mentor prices by the auction over the candidate arcs to mentors ``men[i]``, request r's
    being ``req_order[req_start[r]:req_start[r + 1]]`` (:func:`by_group`), and the ``lift``
    they were bid with (see the module docstring)."""
    if len(men) == 0:
        return np.zeros(n_mentors, dtype=np.int64), 0
    lift = int(-cost.min()) + 1
    return _auction(req_start, req_order, men, cost, lift, capacity, n_mentors), lift


def estimated_potentials(
    prices: tuple[Int64, int],
    req_start: Int64,
    req_order: Int32,
    men: Int32,
    cost: Int64,
    request_node: Int64,
    mentor_node: Int64,
    middle_tail: Int32,
    middle_head: Int32,
    n_nodes: int,
) -> Int64:
    """Node potentials of the flow network (``cost + d[tail] - d[head]`` is an arc's reduced
    cost) from :func:`auction_prices` ``prices`` over the same arcs."""
    if len(men) == 0:
        return np.zeros(n_nodes, dtype=np.int64)
    price, lift = prices
    return _node_potentials(
        req_start, req_order, men, cost, price, lift, request_node, mentor_node,
        middle_tail, middle_head, n_nodes,
    )  # fmt: skip
