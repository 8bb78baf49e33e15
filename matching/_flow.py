"""The exact optimum as a max flow of minimum cost (OR-Tools SimpleMinCostFlow).

Network: source -> request (capacity 1) -> mentor (capacity 1, cost = -weight) -> sink
(capacity = places left). When one newcomer has two requests that could both go to the same
mentor, those arcs pass through a (newcomer, mentor) node whose single unit of capacity keeps
the newcomer from getting that mentor twice; pairs with no such conflict skip the middle
node, which is equivalent and keeps the graph small (found in one compiled pass per newcomer
over its requests' arcs, no sort). A solve on some of the arcs leaves out the middle nodes
that fewer than two of them reach. Maximum flow first and minimum cost among maximum flows is
exactly the contract's lexicographic objective.

The certified path (matching._certify: a small arc set, proven by potentials for every arc,
repaired or re-solved, else the whole graph) is exact too; see :data:`CERTIFY`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from matching._certify import certified_flow
from matching._index import Bool, Float64, Int32, Int64
from matching._jit import jit
from matching._prices import auction_prices, by_group
from matching.errors import MatchingError

#: Whether the solver certifies a small arc set by default (see matching._certify). Measured
#: here (README, "Tests and benchmark"): with the priced first set about 1.7 times less CPU
#: than before at 30,000, and less memory than one solve of the whole graph.
CERTIFY = True


@dataclass(frozen=True, slots=True)
class FlowResult:
    """Which candidate arcs carry flow, and whether the solver proved optimality."""

    used: Bool
    optimal: bool
    rounds: int = -1  # certificate rounds (matching._certify); -1: the whole graph at once


def _node_order(n_requests: int, n_mentors: int, position: Float64 | None) -> Int64:
    """Node ids for requests then mentors: in space-filling-curve order when positions are
    given (arcs then join nearby ids, which makes the solver's memory access local)."""
    total = n_requests + n_mentors
    if position is None or total == 0:
        return np.arange(total, dtype=np.int64)
    lat, lon = position[:, 0], position[:, 1]
    bits = 12

    def scaled(x: Float64) -> Int64:
        span = max(float(x.max() - x.min()), 1e-9)
        return np.asarray(((x - x.min()) / span * ((1 << bits) - 1)).astype(np.int64))

    x, y = scaled(lon), scaled(lat)
    z = np.zeros(total, dtype=np.int64)
    for b in range(bits):
        z |= ((x >> b) & 1) << (2 * b) | ((y >> b) & 1) << (2 * b + 1)
    order = np.argsort(z, kind="stable")
    node = np.empty(total, dtype=np.int64)
    node[order] = np.arange(total)
    return node


@dataclass(frozen=True, slots=True)
class Network:
    """The flow network's nodes and arcs: candidate arc i runs ``tail[i] -> head[i]`` (a
    request to its mentor, or to the (newcomer, mentor) middle node), at cost ``cost[i]``;
    the structural arcs (source to requests, middle nodes to mentors, mentors to sink) have
    capacities ``struct_cap`` and cost 0."""

    tail: Int32
    head: Int32
    cost: Int64
    struct_tail: Int32
    struct_head: Int32
    struct_cap: Int64
    n_nodes: int
    supply: int
    request_node: Int64  # each request's node
    mentor_node: Int64  # each mentor's node
    middle_tail: Int32  # the (newcomer, mentor) middle nodes' arcs to their mentors
    middle_head: Int32
    req_start: Int64  # request r's candidate arcs: req_order[req_start[r]:req_start[r + 1]]
    req_order: Int32


SOURCE, SINK = 0, 1
#: Arc costs (scores times scoring.COST_SCALE, so a few ten thousands) are kept in 32 bits
#: where the proof holds one per arc (matching._certify._residual_network).
_MIN_COST = -(2**31 - 1)


@jit
def _arcs(
    start: Int64,
    order: Int32,
    req: Int32,
    men: Int32,
    unit: Int32,
    request_node: Int64,
    mentor_node: Int64,
    first_middle: int,
) -> tuple[Int32, Int32, Int32, Int64]:
    """Each candidate arc's tail and head node, the middle nodes' mentor nodes (middle node
    ``first_middle + i`` for entry i), and each mentor's arc count; ``order[start[r]:start[r
    + 1]]`` are request r's arcs, ``unit[r]`` its never-twice unit. One pass per unit over
    its requests' arcs, a per-mentor scratch entry remembering the unit and the first arc
    seen: the second arc of a unit to a mentor opens the middle node that both (and any
    later one) pass."""
    n_requests, n_mentors = len(start) - 1, len(mentor_node)
    tail = np.empty(len(req), dtype=np.int32)
    head = np.empty(len(req), dtype=np.int32)
    degree = np.zeros(n_mentors, dtype=np.int64)
    for i in range(len(req)):
        tail[i] = request_node[req[i]]
        head[i] = mentor_node[men[i]]
        degree[men[i]] += 1
    n_units = 0
    request_unit = np.full(n_requests, -1, dtype=np.int64)
    for r in range(n_requests):
        if start[r + 1] > start[r]:
            request_unit[r] = unit[r]
            n_units = max(n_units, request_unit[r] + 1)
    # The requests of each unit (counting sort).
    unit_start = np.zeros(n_units + 1, dtype=np.int64)
    for r in range(n_requests):
        if request_unit[r] >= 0:
            unit_start[request_unit[r] + 1] += 1
    unit_start = np.cumsum(unit_start)
    fill = unit_start[:-1].copy()
    by_unit = np.empty(unit_start[-1], dtype=np.int64)
    for r in range(n_requests):
        if request_unit[r] >= 0:
            by_unit[fill[request_unit[r]]] = r
            fill[request_unit[r]] += 1
    seen = np.full(n_mentors, -1, dtype=np.int64)
    first = np.zeros(n_mentors, dtype=np.int64)
    middle = np.zeros(n_mentors, dtype=np.int64)
    middle_head = np.empty(len(req) // 2 + 1, dtype=np.int32)
    n_middle = 0
    for u in range(n_units):
        if unit_start[u + 1] - unit_start[u] < 2:
            continue
        for q in range(unit_start[u], unit_start[u + 1]):
            r = by_unit[q]
            for j in range(start[r], start[r + 1]):
                i = order[j]
                m = men[i]
                if seen[m] != u:
                    seen[m], first[m], middle[m] = u, i, -1
                    continue
                if middle[m] < 0:
                    middle[m] = first_middle + n_middle
                    middle_head[n_middle] = mentor_node[m]
                    n_middle += 1
                    head[first[m]] = middle[m]
                head[i] = middle[m]
    return tail, head, middle_head[:n_middle].copy(), degree


def _network(
    req: Int32,
    men: Int32,
    unit: Int32,
    cost: Int64,
    n_requests: int,
    residual: Int32,
    position: Float64 | None,
    start: Int64,
    order: Int32,
) -> Network:
    """The network of all candidate arcs (see the module docstring); request r's arcs are
    ``order[start[r]:start[r + 1]]`` (:func:`matching._prices.by_group`)."""
    n_mentors = len(residual)
    node = 2 + _node_order(n_requests, n_mentors, position)
    request_node, mentor_node = node[:n_requests], node[n_requests:]
    first_middle = 2 + n_requests + n_mentors
    tail, head, middle_heads, degree = _arcs(
        start, order, req, men, unit, request_node, mentor_node, first_middle
    )
    middle_tails = np.arange(first_middle, first_middle + len(middle_heads), dtype=np.int32)
    requests = np.flatnonzero(start[1:] > start[:-1])
    mentors = np.flatnonzero(degree)
    struct_tail = np.concatenate(
        [np.full(len(requests), SOURCE), middle_tails, mentor_node[mentors]]
    ).astype(np.int32)
    struct_head = np.concatenate(
        [request_node[requests], middle_heads, np.full(len(mentors), SINK)]
    ).astype(np.int32)
    struct_cap = np.ones(len(struct_tail), dtype=np.int64)
    struct_cap[len(requests) + len(middle_tails) :] = residual[mentors]
    return Network(
        tail=tail,
        head=head,
        cost=cost,
        struct_tail=struct_tail,
        struct_head=struct_head,
        struct_cap=struct_cap,
        n_nodes=first_middle + len(middle_tails),
        supply=len(requests),
        request_node=request_node,
        mentor_node=mentor_node,
        middle_tail=middle_tails,
        middle_head=middle_heads,
        req_start=start,
        req_order=order,
    )


@jit
def _compact_heads(head: Int32, first_middle: int, middle_head: Int32) -> tuple[Int32, Int64]:
    """Heads for a solve on some of the arcs: a middle node that fewer than two of them
    reach is not needed (such an arc goes straight to the mentor); the others are renumbered
    from ``first_middle`` on. Returns the heads and each middle node's new id (-1: left out)."""
    count = np.zeros(len(middle_head), dtype=np.int64)
    for h in head:
        if h >= first_middle:
            count[h - first_middle] += 1
    new_id = np.full(len(middle_head), -1, dtype=np.int64)
    n_kept = 0
    for i in range(len(middle_head)):
        if count[i] >= 2:
            new_id[i] = first_middle + n_kept
            n_kept += 1
    out = head.copy()
    for j in range(len(head)):
        if head[j] >= first_middle:
            i = head[j] - first_middle
            out[j] = new_id[i] if new_id[i] >= 0 else middle_head[i]
    return out, new_id


def _solve(network: Network, arcs: Int64 | None) -> tuple[Bool, Int64]:
    """Max flow of minimum cost over the structural arcs and the candidate arcs ``arcs``
    (all when None); returns which of those candidate arcs carry flow, and the flow on
    each structural arc. Middle nodes that fewer than two of the arcs reach are left out of
    the solve (:func:`_compact_heads`); their flow is that of their one arc."""
    n_requests = network.supply
    n_middle = len(network.middle_tail)
    first_middle = network.n_nodes - n_middle
    struct_tail, struct_head, struct_cap = (
        network.struct_tail,
        network.struct_head,
        network.struct_cap,
    )
    if arcs is None:
        tail, head, cost = network.tail, network.head, network.cost
        kept = np.ones(n_middle, dtype=np.bool_)
    else:
        tail, cost = network.tail[arcs], network.cost[arcs]
        head, new_id = _compact_heads(network.head[arcs], first_middle, network.middle_head)
        kept = new_id >= 0
        struct = np.ones(len(struct_tail), dtype=np.bool_)
        struct[n_requests : n_requests + n_middle] = kept
        struct_tail = np.concatenate(
            [struct_tail[:n_requests], new_id[kept], struct_tail[n_requests + n_middle :]]
        ).astype(np.int32)
        struct_head, struct_cap = struct_head[struct], struct_cap[struct]
    k = len(tail)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([tail, struct_tail]),
        np.concatenate([head, struct_head]),
        np.concatenate([np.ones(k, dtype=np.int64), struct_cap]),
        np.concatenate([cost, np.zeros(len(struct_tail), dtype=np.int64)]),
    )
    flow.set_node_supply(SOURCE, network.supply)
    flow.set_node_supply(SINK, -network.supply)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise MatchingError(f"min-cost flow failed with status {status}")
    flows = np.asarray(flow.flows(np.arange(k + len(struct_tail), dtype=np.int32)))
    used = np.asarray(flows[:k] > 0, dtype=np.bool_)
    if arcs is None:
        return used, np.asarray(flows[k:], dtype=np.int64)
    struct_flow = np.zeros(len(network.struct_tail), dtype=np.int64)
    struct_flow[np.flatnonzero(struct)] = flows[k:]
    # A middle node left out carries the flow of its one arc.
    into = network.head[arcs].astype(np.int64) - first_middle
    through = into[used & (into >= 0)]
    struct_flow[n_requests + through[~kept[through]]] = 1
    return used, struct_flow


def max_flow_min_cost(
    req: Int32,
    men: Int32,
    unit: Int32,
    cost: Int64,
    n_requests: int,
    residual: Int32,
    position: Float64 | None = None,
    *,
    certify: bool | None = None,
    priced: bool = True,
    **limits: int,
) -> FlowResult:
    """Solve the matching flow for candidate arcs ``(req[i], men[i])`` of ``cost[i]`` (<= 0).

    ``unit[r]`` is request r's never-twice unit (its newcomer, or household: no two of a
    unit's requests get one mentor); ``residual[m]`` the places mentor m has;
    ``position`` (requests then mentors, lat/lon rows) only improves memory locality. With
    ``certify`` (default :data:`CERTIFY`) the flow is solved on a small set of arcs and
    proven optimal for all of them (:mod:`matching._certify`, whose ``per_request``,
    ``per_mentor`` and ``rounds`` ``limits`` may be given; ``priced=False`` leaves out the
    auction's prices and the whole-network proof); without, on all arcs at once.
    """
    k = len(req)
    if k == 0:
        return FlowResult(used=np.zeros(0, dtype=np.bool_), optimal=True, rounds=0)
    if int(cost.min()) < _MIN_COST:
        raise MatchingError(f"an arc cost below {_MIN_COST}")
    cost = np.ascontiguousarray(cost, dtype=np.int64)
    start, order = by_group(req, n_requests)
    certifying = CERTIFY if certify is None else certify
    # The auction (compiled, without the interpreter's lock) runs on the second core while
    # the network and the first set are built.
    with ThreadPoolExecutor(max_workers=1) as beside:
        prices = None
        if certifying and priced:
            places = residual.astype(np.int64)
            prices = beside.submit(auction_prices, start, order, men, cost, places, len(residual))
        network = _network(req, men, unit, cost, n_requests, residual, position, start, order)
        if not certifying:
            return FlowResult(used=_solve(network, None)[0], optimal=True, rounds=-1)
        used, rounds = certified_flow(
            network, req, men, n_requests, len(residual), _solve, prices=prices, **limits
        )
    return FlowResult(used=used, optimal=True, rounds=rounds)
