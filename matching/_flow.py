"""The exact optimum as a max flow of minimum cost (OR-Tools SimpleMinCostFlow).

Network: source -> request (capacity 1) -> mentor (capacity 1, cost = -weight) -> sink
(capacity = places left). When one newcomer has two requests that could both go to the same
mentor, those arcs pass through a (newcomer, mentor) node whose single unit of capacity keeps
the newcomer from getting that mentor twice; pairs with no such conflict skip the middle
node, which is equivalent and keeps the graph small. Maximum flow first and minimum cost among
maximum flows is exactly the contract's lexicographic objective.

The certified path (matching._certify: a small arc set, proven by potentials for every arc,
repaired or re-solved, else the whole graph) is exact too; see :data:`CERTIFY`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from matching._certify import certified_flow
from matching._index import Bool, Float64, Int32, Int64
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


SOURCE, SINK = 0, 1


def _network(
    req: Int32,
    men: Int32,
    newcomer: Int32,
    cost: Int64,
    n_requests: int,
    residual: Int32,
    position: Float64 | None,
) -> Network:
    """The network of all candidate arcs (see the module docstring)."""
    n_mentors = len(residual)
    node = 2 + _node_order(n_requests, n_mentors, position)
    request_node, mentor_node = node[:n_requests], node[n_requests:]
    first_middle = 2 + n_requests + n_mentors

    heads = mentor_node[men].astype(np.int32)
    # Middle nodes: only (newcomer, mentor) pairs reached by two or more requests. Sorting a
    # packed key is much faster here than argsort; the low bits carry the arc's index.
    multi = np.flatnonzero(np.bincount(newcomer, minlength=1)[newcomer] >= 2)
    middle_tails = np.zeros(0, dtype=np.int64)
    middle_heads = np.zeros(0, dtype=np.int64)
    if len(multi):
        pair = newcomer[multi].astype(np.int64) * n_mentors + men[multi]
        shift = len(multi).bit_length()
        if int(pair.max()).bit_length() + shift <= 62:
            packed = np.sort((pair << shift) | np.arange(len(multi), dtype=np.int64))
            order = packed & ((1 << shift) - 1)
            del packed
        else:
            order = np.argsort(pair, kind="stable")
        keys = pair[order]
        del pair
        starts = np.ones(len(keys), dtype=np.bool_)
        starts[1:] = keys[1:] != keys[:-1]
        del keys
        group = np.cumsum(starts) - 1
        size = np.bincount(group)
        shared = size[group] >= 2
        shared_groups = np.flatnonzero(size >= 2)
        middle = np.full(len(size), -1, dtype=np.int64)
        middle[shared_groups] = first_middle + np.arange(len(shared_groups))
        heads[multi[order[shared]]] = middle[group[shared]]
        middle_tails = middle[shared_groups]
        first_of_group = order[np.flatnonzero(starts)[shared_groups]]
        middle_heads = mentor_node[men[multi[first_of_group]]]
        del order, group, shared, starts
    del multi

    requests = np.flatnonzero(np.bincount(req, minlength=n_requests))
    mentors = np.flatnonzero(np.bincount(men, minlength=n_mentors))
    struct_tail = np.concatenate(
        [np.full(len(requests), SOURCE), middle_tails, mentor_node[mentors]]
    ).astype(np.int32)
    struct_head = np.concatenate(
        [request_node[requests], middle_heads, np.full(len(mentors), SINK)]
    ).astype(np.int32)
    struct_cap = np.ones(len(struct_tail), dtype=np.int64)
    struct_cap[len(requests) + len(middle_tails) :] = residual[mentors]
    return Network(
        tail=np.ascontiguousarray(request_node[req], dtype=np.int32),
        head=heads,
        cost=np.ascontiguousarray(cost, dtype=np.int64),
        struct_tail=struct_tail,
        struct_head=struct_head,
        struct_cap=struct_cap,
        n_nodes=first_middle + len(middle_tails),
        supply=len(requests),
        request_node=request_node,
        mentor_node=mentor_node,
        middle_tail=middle_tails.astype(np.int32),
        middle_head=middle_heads.astype(np.int32),
    )


def _solve(network: Network, arcs: Int64 | None) -> tuple[Bool, Int64]:
    """Max flow of minimum cost over the structural arcs and the candidate arcs ``arcs``
    (all when None); returns which of those candidate arcs carry flow, and the flow on
    each structural arc."""
    tail = network.tail if arcs is None else network.tail[arcs]
    head = network.head if arcs is None else network.head[arcs]
    cost = network.cost if arcs is None else network.cost[arcs]
    k = len(tail)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([tail, network.struct_tail]),
        np.concatenate([head, network.struct_head]),
        np.concatenate([np.ones(k, dtype=np.int64), network.struct_cap]),
        np.concatenate([cost, np.zeros(len(network.struct_tail), dtype=np.int64)]),
    )
    flow.set_node_supply(SOURCE, network.supply)
    flow.set_node_supply(SINK, -network.supply)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise MatchingError(f"min-cost flow failed with status {status}")
    flows = np.asarray(flow.flows(np.arange(k + len(network.struct_tail), dtype=np.int32)))
    return np.asarray(flows[:k] > 0, dtype=np.bool_), np.asarray(flows[k:], dtype=np.int64)


def max_flow_min_cost(
    req: Int32,
    men: Int32,
    newcomer: Int32,
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

    ``newcomer[i]`` is the newcomer of ``req[i]``; ``residual[m]`` the places mentor m has;
    ``position`` (requests then mentors, lat/lon rows) only improves memory locality. With
    ``certify`` (default :data:`CERTIFY`) the flow is solved on a small set of arcs and
    proven optimal for all of them (:mod:`matching._certify`, whose ``per_request``,
    ``per_mentor`` and ``rounds`` ``limits`` may be given; ``priced=False`` leaves out the
    auction's prices and the whole-network proof); without, on all arcs at once.
    """
    k = len(req)
    if k == 0:
        return FlowResult(used=np.zeros(0, dtype=np.bool_), optimal=True, rounds=0)
    network = _network(req, men, newcomer, cost, n_requests, residual, position)
    if not (CERTIFY if certify is None else certify):
        return FlowResult(used=_solve(network, None)[0], optimal=True, rounds=-1)
    used, rounds = certified_flow(
        network,
        req,
        men,
        n_requests,
        len(residual),
        _solve,
        capacity=residual if priced else None,
        **limits,
    )
    return FlowResult(used=used, optimal=True, rounds=rounds)
