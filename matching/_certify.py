"""The exact min-cost max flow, solved on a small set of arcs and proven for all of them.

Most candidate arcs can never be in an optimal matching. So the flow is solved on a small
set first (each request's best dozen arcs and each mentor's best two dozen), and the result
is checked against every candidate arc with a certificate:

- potentials: shortest-path distances in the residual network of the small solution (from a
  virtual root joined to every node), so every residual arc there has a reduced cost
  ``cost + d(tail) - d(head) >= 0``. If no left-out arc has a negative reduced cost either,
  the residual network of the whole graph has no negative cycle: the flow has the minimum
  cost for its size;
- maximum count: the nodes reachable from the source in that residual network. If no
  left-out arc leaves that set, the sink stays unreachable in the whole graph: no augmenting
  path, so the flow is maximum (no big-M needed).

Left-out arcs that fail either test (and, in the first round, those of small reduced cost)
join the set and it is solved again; after a bounded number of rounds the whole graph is
solved, so the answer is always exactly optimal. (Ranking arcs by score alone is not
enough: reduced costs are the right measure.)

Priced first (when the mentors' places are given): the whole problem's dual prices,
estimated by an auction over every arc (:mod:`matching._prices`), add to the first set every
arc whose reduced cost under them is small. The first solve on that set is then usually
optimal already, but potentials computed from the small set's residual network alone rarely
show it (they know nothing of the competition outside the set). So the first solve is proven
over the whole residual network instead: Bellman-Ford from the estimated potentials first
settles the small set's residual arcs (the small solve's own exact potentials, close to the
estimate), then from there the small set's residual arcs and every left-out arc together
(settling in about one visit per node where the set was enough). If it settles, every
residual arc of the whole graph has a reduced cost >= 0 and the same pass shows the sink
unreachable from the source: the flow is optimal for the whole graph. If it does not settle
within a bounded number of steps (a negative cycle: the set was not enough), the rounds
above take over.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from matching._index import Bool, Int32, Int64
from matching._jit import jit
from matching._prices import estimated_potentials
from matching.scoring import COST_SCALE

if TYPE_CHECKING:
    from matching._flow import Network

#: Node ids of the source and the sink (as in matching._flow).
SOURCE, SINK = 0, 1
#: Arcs each request and each mentor bring to the first small set, best first.
PER_REQUEST = 12
PER_MENTOR = 24
#: Rounds of repair before the whole graph is solved instead.
ROUNDS = 4
#: In the first repair, arcs whose reduced cost is below this join too (0.05 of a score).
SLACK = COST_SCALE // 20
#: Arcs whose reduced cost under the estimated prices is at most this join the first set
#: (0.1 of a score).
PRICED_SLACK = COST_SCALE // 10
#: The whole-network proof gives up after this many node visits per node.
PROOF_VISITS = 10

Solver = Callable[["Network", Int64 | None], tuple[Bool, Int64]]


@jit
def _best_per_group(group: Int32, cost: Int64, n_groups: int, k: int, chosen: Bool) -> None:
    """Mark in ``chosen`` the ``k`` cheapest arcs of each group (ties: lower arc index). One
    pass in arc order, each group keeping its best ``k`` so far sorted in a small buffer."""
    if k <= 0:
        return
    size = np.zeros(n_groups, dtype=np.int64)
    best_cost = np.empty(n_groups * k, dtype=np.int64)
    best_arc = np.empty(n_groups * k, dtype=np.int64)
    for i in range(len(group)):
        g = group[i]
        c = cost[i]
        base = g * k
        n = size[g]
        if n < k:
            size[g] = n + 1
        elif c >= best_cost[base + k - 1]:
            continue
        else:
            n = k - 1
        p = base + n  # insert after every kept arc of cost <= c (earlier arcs win ties)
        while p > base and best_cost[p - 1] > c:
            best_cost[p] = best_cost[p - 1]
            best_arc[p] = best_arc[p - 1]
            p -= 1
        best_cost[p] = c
        best_arc[p] = i
    for g in range(n_groups):
        for p in range(g * k, g * k + size[g]):
            chosen[best_arc[p]] = True


class LeftOut(NamedTuple):
    """The candidate arcs outside the small set, found by their tail (a request's node) in
    place, not copied: node v's are ``order[start[g]:start[g + 1]]`` for ``g = group[v]``
    (-1: none), those not ``chosen``; arc i runs to ``head[i]`` at ``cost[i]`` (capacity 1,
    no flow). At 100,000 newcomers a copy would be about 0.7 GB."""

    group: Int64
    start: Int64
    order: Int32
    head: Int32
    cost: Int64
    chosen: Bool


def _no_arcs_left_out() -> LeftOut:
    """No arcs left out (:func:`_potentials` of the small set alone)."""
    return LeftOut(
        np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32),
        np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.bool_),
    )  # fmt: skip


@jit
def _residual_network(
    n_nodes: int, tail: Int32, head: Int32, cap: Int64, cost: Int64, flow: Int64
) -> tuple[Int64, Int32, Int32]:
    """The residual network of a flow over the arcs ``tail -> head`` as adjacency lists: the
    arcs leaving v are ``to[start[v]:start[v + 1]]`` with their costs ``weight``."""
    degree = np.zeros(n_nodes + 1, dtype=np.int64)
    for i in range(len(tail)):
        if flow[i] < cap[i]:
            degree[tail[i] + 1] += 1
        if flow[i] > 0:
            degree[head[i] + 1] += 1
    start = np.cumsum(degree)
    fill = start[:-1].copy()
    to = np.empty(start[-1], dtype=np.int32)
    weight = np.empty(start[-1], dtype=np.int32)  # costs are scores x COST_SCALE: small
    for i in range(len(tail)):
        if flow[i] < cap[i]:
            to[fill[tail[i]]] = head[i]
            weight[fill[tail[i]]] = cost[i]
            fill[tail[i]] += 1
        if flow[i] > 0:
            to[fill[head[i]]] = tail[i]
            weight[fill[head[i]]] = -cost[i]
            fill[head[i]] += 1
    return start, to, weight


@jit
def _settle(
    start: Int64, to: Int32, weight: Int32, out: LeftOut, distance: Int64, max_visits: int
) -> bool:
    """Bellman-Ford with a queue over the arcs ``to[start[u]:start[u + 1]]`` and the arcs
    left ``out`` leaving each u, from the potentials in ``distance`` (lowered in place until
    every arc has ``distance[v] <= distance[u] + weight``); False if that takes more than
    ``max_visits`` node visits (``max_visits`` < 0: no limit; a network without a negative
    cycle always settles)."""
    group, out_start, out_order, out_head, out_cost, chosen = out
    n_nodes = len(distance)
    queued = np.ones(n_nodes, dtype=np.bool_)
    queue = np.empty(n_nodes + 1, dtype=np.int64)
    for v in range(n_nodes):
        queue[v] = v
    first, last, size = 0, n_nodes, n_nodes
    visits = 0
    while size:
        if visits == max_visits:
            return False
        visits += 1
        u = queue[first]
        first = (first + 1) % (n_nodes + 1)
        size -= 1
        queued[u] = False
        du = distance[u]
        g = group[u] if len(group) else -1
        inner = start[u + 1] - start[u]
        outer = out_start[g + 1] - out_start[g] if g >= 0 else 0
        for j in range(inner + outer):
            if j < inner:
                v, w = to[start[u] + j], weight[start[u] + j]
            else:
                i = out_order[out_start[g] + j - inner]
                if chosen[i]:
                    continue
                v, w = out_head[i], out_cost[i]
            if du + w < distance[v]:
                distance[v] = du + w
                if not queued[v]:
                    queued[v] = True
                    queue[last] = v
                    last = (last + 1) % (n_nodes + 1)
                    size += 1
    return True


@jit
def _reach(start: Int64, to: Int32, out: LeftOut, source: int) -> Bool:
    """The nodes reachable from ``source`` along the adjacency lists and the arcs left
    ``out``."""
    group, out_start, out_order, out_head, _, chosen = out
    reached = np.zeros(len(start) - 1, dtype=np.bool_)
    stack = np.empty(len(start) - 1, dtype=np.int64)
    stack[0] = source
    reached[source] = True
    top = 1
    while top:
        top -= 1
        u = stack[top]
        g = group[u] if len(group) else -1
        inner = start[u + 1] - start[u]
        outer = out_start[g + 1] - out_start[g] if g >= 0 else 0
        for j in range(inner + outer):
            if j < inner:
                v = to[start[u] + j]
            else:
                i = out_order[out_start[g] + j - inner]
                if chosen[i]:
                    continue
                v = out_head[i]
            if not reached[v]:
                reached[v] = True
                stack[top] = v
                top += 1
    return reached


@jit
def _potentials(
    n_nodes: int,
    tail: Int32,
    head: Int32,
    cap: Int64,
    cost: Int64,
    flow: Int64,
    source: int,
    none: LeftOut,
) -> tuple[Int64, Bool]:
    """Shortest-path distances from a virtual root in the residual network (the network of
    an optimal flow has no negative cycle), and the nodes reachable from ``source`` there
    (``none``: no arcs left out)."""
    start, to, weight = _residual_network(n_nodes, tail, head, cap, cost, flow)
    distance = np.zeros(n_nodes, dtype=np.int64)
    _settle(start, to, weight, none, distance, -1)
    return distance, _reach(start, to, none, source)


@jit
def _within(tail: Int32, head: Int32, cost: Int64, d: Int64, slack: int, chosen: Bool) -> None:
    """Mark in ``chosen`` every arc whose reduced cost under ``d`` is at most ``slack``."""
    for i in range(len(tail)):
        if cost[i] + d[tail[i]] - d[head[i]] <= slack:
            chosen[i] = True


@jit
def _proven(
    n_nodes: int,
    tail: Int32,
    head: Int32,
    cap: Int64,
    cost: Int64,
    flow: Int64,
    out: LeftOut,
    start_from: Int64,
    max_visits: int,
    source: int,
    sink: int,
) -> bool:
    """Whether the flow over the arcs ``tail -> head``, optimal for them, is optimal for them
    and every arc left ``out``: from ``start_from``, Bellman-Ford settles the flow's own
    residual network (its potentials), then from there the whole residual network, each
    within ``max_visits`` node visits (no negative cycle: minimum cost), and the sink is not
    reachable from the source there (maximum flow)."""
    start, to, weight = _residual_network(n_nodes, tail, head, cap, cost, flow)
    none = LeftOut(
        out.group[:0], out.start[:1], out.order[:0], out.head[:0], out.cost[:0], out.chosen[:0]
    )
    distance = start_from.copy()
    if not _settle(start, to, weight, none, distance, max_visits):
        return False  # cannot happen after an optimal solve
    if not _settle(start, to, weight, out, distance, max_visits):
        return False  # not settling: a negative cycle, most likely
    return not _reach(start, to, out, source)[sink]


@jit
def _violations(
    tail: Int32,
    head: Int32,
    cost: Int64,
    chosen: Bool,
    distance: Int64,
    reached: Bool,
    slack: int,
    out: Bool,
) -> int:
    """Mark in ``out`` the left-out arcs that break the certificate (negative reduced cost,
    or leaving the source's reachable set); returns how many. With ``slack`` > 0, mark
    instead every arc (chosen or not) of reduced cost below ``slack`` or breaking it."""
    broken = 0
    for i in range(len(tail)):
        t, h = tail[i], head[i]
        reduced = cost[i] + distance[t] - distance[h]
        leaves = False
        if reached[t]:
            if not reached[h]:
                leaves = True
        if not chosen[i]:
            if reduced < 0 or leaves:
                out[i] = True
                broken += 1
        if slack > 0:
            if reduced < slack or leaves:
                out[i] = True
    return broken


@jit
def _adjacency(n_nodes: int, tail: Int32, head: Int32) -> tuple[Int64, Int64]:
    """Per node, the arcs at it: ``arc[start[v]:start[v + 1]]`` (arc + 1 leaving v,
    -(arc + 1) entering it)."""
    degree = np.zeros(n_nodes + 1, dtype=np.int64)
    for i in range(len(tail)):
        degree[tail[i] + 1] += 1
        degree[head[i] + 1] += 1
    start = np.cumsum(degree)
    fill = start[:-1].copy()
    arc = np.empty(start[-1], dtype=np.int64)
    for i in range(len(tail)):
        arc[fill[tail[i]]] = i + 1
        fill[tail[i]] += 1
        arc[fill[head[i]]] = -(i + 1)
        fill[head[i]] += 1
    return start, arc


@jit
def _shortest_path(
    start: Int64,
    adjacent: Int64,
    tail: Int32,
    head: Int32,
    cap: Int64,
    cost: Int64,
    flow: Int64,
    distance: Int64,
    excess: Int64,
    origins: Int64,
    sink: int,
    delta: Int64,
    parent: Int64,
    done: Bool,
    touched: Int64,
) -> int:
    """One unit along a shortest residual path (reduced costs, all >= 0) from one of
    ``origins`` to ``sink`` (or, when ``sink`` < 0, to any node with a deficit); potentials
    updated so reduced costs stay >= 0. Returns the origin used, or -1 if there is no path.

    ``delta`` (all "infinite"), ``parent`` (0) and ``done`` (False) are work arrays of one
    entry per node, left as they were found; ``touched`` has room for every node."""
    big = np.int64(1) << np.int64(62)
    heap_key = np.empty(max(16, 2 * len(origins)), dtype=np.int64)
    heap_node = np.empty(len(heap_key), dtype=np.int64)
    size = 0
    n_touched = 0
    for v in origins:
        delta[v] = 0
        touched[n_touched] = v
        n_touched += 1
        heap_key[size] = 0
        heap_node[size] = v
        size += 1
    target = -1
    while size:
        key, u = heap_key[0], heap_node[0]
        size -= 1
        k_last, n_last = heap_key[size], heap_node[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and heap_key[c + 1] < heap_key[c]:
                c += 1
            if heap_key[c] >= k_last:
                break
            heap_key[i], heap_node[i] = heap_key[c], heap_node[c]
            i = c
        if size:
            heap_key[i], heap_node[i] = k_last, n_last
        if done[u] or key > delta[u]:
            continue
        done[u] = True
        if u == sink or (sink < 0 and excess[u] < 0):
            target = u
            break
        for j in range(start[u], start[u + 1]):
            e = adjacent[j]
            if e > 0:
                e -= 1
                if flow[e] >= cap[e]:
                    continue
                v = head[e]
                reduced = cost[e] + distance[u] - distance[v]
            else:
                e = -e - 1
                if flow[e] <= 0:
                    continue
                v = tail[e]
                reduced = -cost[e] + distance[u] - distance[v]
            if done[v]:
                continue
            nd = key + reduced
            if nd < delta[v]:
                if delta[v] == big:
                    touched[n_touched] = v
                    n_touched += 1
                delta[v] = nd
                parent[v] = adjacent[j]
                if size == len(heap_key):
                    heap_key = np.concatenate((heap_key, np.empty(size, np.int64)))
                    heap_node = np.concatenate((heap_node, np.empty(size, np.int64)))
                i = size
                size += 1
                while i > 0:
                    p = (i - 1) // 2
                    if heap_key[p] <= nd:
                        break
                    heap_key[i], heap_node[i] = heap_key[p], heap_node[p]
                    i = p
                heap_key[i], heap_node[i] = nd, v
    origin = -1
    if target >= 0:
        reach = delta[target]
        for k in range(n_touched):
            v = touched[k]
            if done[v]:
                distance[v] -= reach - delta[v]
        v = target
        while parent[v] != 0:  # origins (distance 0) are never relaxed: parent 0
            e = parent[v]
            if e > 0:
                flow[e - 1] += 1
                v = tail[e - 1]
            else:
                flow[-e - 1] -= 1
                v = head[-e - 1]
        origin = v
        excess[origin] -= 1
        excess[target] += 1
    for k in range(n_touched):
        v = touched[k]
        delta[v] = big
        parent[v] = 0
        done[v] = False
    return origin


@jit
def _repair(
    n_nodes: int,
    tail: Int32,
    head: Int32,
    cap: Int64,
    cost: Int64,
    flow: Int64,
    distance: Int64,
    source: int,
    sink: int,
) -> bool:
    """Make ``flow`` optimal again over all these arcs after arcs were added: saturate the
    arcs of negative reduced cost, send the excess back along shortest paths, then augment
    from source to sink while a path exists. False if something could not be repaired."""
    start, adjacent = _adjacency(n_nodes, tail, head)
    excess = np.zeros(n_nodes, dtype=np.int64)
    for e in range(len(tail)):
        reduced = cost[e] + distance[tail[e]] - distance[head[e]]
        if reduced < 0 and flow[e] < cap[e]:
            amount = cap[e] - flow[e]
            flow[e] = cap[e]
            excess[head[e]] += amount
            excess[tail[e]] -= amount
        elif reduced > 0 and flow[e] > 0:
            return False  # not optimal before: cannot happen after a certified solve
    delta = np.full(n_nodes, np.int64(1) << np.int64(62), dtype=np.int64)
    parent = np.zeros(n_nodes, dtype=np.int64)
    done = np.zeros(n_nodes, dtype=np.bool_)
    touched = np.empty(n_nodes, dtype=np.int64)
    origins = np.flatnonzero(excess > 0)
    while len(origins):
        used = _shortest_path(
            start, adjacent, tail, head, cap, cost, flow, distance, excess, origins, -1,
            delta, parent, done, touched,
        )  # fmt: skip
        if used < 0:
            return False
        if excess[used] == 0:
            origins = origins[origins != used]
    source_only = np.full(1, source, dtype=np.int64)
    augmented = 0
    while augmented >= 0:
        augmented = _shortest_path(
            start, adjacent, tail, head, cap, cost, flow, distance, excess, source_only, sink,
            delta, parent, done, touched,
        )  # fmt: skip
    return True


def certified_flow(
    network: Network,
    req: Int32,
    men: Int32,
    n_requests: int,
    n_mentors: int,
    solve: Solver,
    *,
    prices: Future[tuple[Int64, int]] | None = None,
    per_request: int = PER_REQUEST,
    per_mentor: int = PER_MENTOR,
    rounds: int = ROUNDS,
) -> tuple[Bool, int]:
    """Which candidate arcs carry the optimal flow, and the rounds it took (0: the small set
    was optimal at once; ``rounds + 1``: the whole graph was solved). With the mentors'
    places' auction prices (``prices``, :func:`matching._prices.auction_prices`, computed
    beside the network) the first set is priced and its solve proven over the whole network
    (see the module docstring)."""
    k = len(req)
    chosen = np.zeros(k, dtype=np.bool_)
    _best_per_group(req, network.cost, n_requests, per_request, chosen)
    _best_per_group(men, network.cost, n_mentors, per_mentor, chosen)
    priced = None
    if prices is not None:
        priced = estimated_potentials(
            prices.result(), network.req_start, network.req_order, men, network.cost,
            network.request_node, network.mentor_node, network.middle_tail, network.middle_head,
            network.n_nodes,
        )  # fmt: skip
        _within(network.tail, network.head, network.cost, priced, PRICED_SLACK, chosen)
    for attempt in range(rounds):
        arcs = np.flatnonzero(chosen)
        used, struct_flow = solve(network, arcs)
        small = _residual_arrays(network, arcs, used, struct_flow)
        if attempt == 0 and priced is not None:
            group = np.full(network.n_nodes, -1, dtype=np.int64)
            group[network.request_node] = np.arange(n_requests)
            out = LeftOut(
                group, network.req_start, network.req_order, network.head, network.cost, chosen
            )
            proof = _proven(
                network.n_nodes, *small, out, priced, PROOF_VISITS * network.n_nodes, SOURCE, SINK
            )
            if proof:
                result = np.zeros(k, dtype=np.bool_)
                result[arcs[used]] = True
                return result, 0
        state = _State(arcs, *small, network.n_nodes)
        extra = np.zeros(k, dtype=np.bool_)
        slack = SLACK if attempt == 0 else 0
        broken = state.violations(network, chosen, slack, extra)
        # A few violators are repaired in place by shortest paths instead of a new solve.
        for _ in range(REPAIRS if 0 < broken <= REPAIR_LIMIT and slack == 0 else 0):
            chosen |= extra
            if not state.repair(network, np.flatnonzero(extra)):
                break
            extra[:] = False
            broken = state.violations(network, chosen, 0, extra)
            if broken == 0 or broken > REPAIR_LIMIT:
                break
        if broken == 0:
            return state.used(k), attempt
        chosen |= extra
    used, _ = solve(network, None)
    return used, rounds + 1


def _residual_arrays(
    network: Network, arcs: Int64, used: Bool, struct_flow: Int64
) -> tuple[Int32, Int32, Int64, Int64, Int64]:
    """Tail, head, capacity, cost and flow of a solve on ``arcs``: those candidate arcs,
    then the structural arcs."""
    n_struct = len(network.struct_tail)
    return (
        np.concatenate([network.tail[arcs], network.struct_tail]),
        np.concatenate([network.head[arcs], network.struct_head]),
        np.concatenate([np.ones(len(arcs), dtype=np.int64), network.struct_cap]),
        np.concatenate([network.cost[arcs], np.zeros(n_struct, dtype=np.int64)]),
        np.concatenate([used.astype(np.int64), struct_flow]),
    )


#: Violators repaired in place (at most this many, this many times) before a new solve.
REPAIR_LIMIT = 500
REPAIRS = 3


class _State:
    """A flow over a set of arcs (chosen candidate arcs, then the structural arcs), with
    potentials and the nodes reachable from the source."""

    def __init__(
        self,
        arcs: Int64,
        tail: Int32,
        head: Int32,
        cap: Int64,
        cost: Int64,
        flow: Int64,
        n_nodes: int,
    ) -> None:
        self.arcs, self.tail, self.head, self.cap, self.cost, self.flow = (
            arcs,
            tail,
            head,
            cap,
            cost,
            flow,
        )
        self.n_nodes = n_nodes
        self.distance, self.reached = _potentials(
            n_nodes, tail, head, cap, cost, flow, SOURCE, _no_arcs_left_out()
        )

    def violations(self, network: Network, chosen: Bool, slack: int, out: Bool) -> int:
        """:func:`_violations` of the left-out arcs under this state's certificate."""
        return int(
            _violations(
                network.tail,
                network.head,
                network.cost,
                chosen,
                self.distance,
                self.reached,
                slack,
                out,
            )
        )

    def repair(self, network: Network, new: Int64) -> bool:
        """Add candidate arcs ``new`` and make the flow optimal over the set again."""
        m = len(self.arcs)
        self.arcs = np.concatenate([self.arcs, new])
        self.tail = np.concatenate([self.tail[:m], network.tail[new], self.tail[m:]])
        self.head = np.concatenate([self.head[:m], network.head[new], self.head[m:]])
        self.cap = np.concatenate([self.cap[:m], np.ones(len(new), dtype=np.int64), self.cap[m:]])
        self.cost = np.concatenate([self.cost[:m], network.cost[new], self.cost[m:]])
        self.flow = np.concatenate([self.flow[:m], np.zeros(len(new), np.int64), self.flow[m:]])
        args = (self.tail, self.head, self.cap, self.cost, self.flow)
        if not _repair(self.n_nodes, *args, self.distance, SOURCE, SINK):
            return False
        self.reached = _reachable(self.n_nodes, self.tail, self.head, self.cap, self.flow, SOURCE)
        return not self.reached[SINK] and bool(_feasible(*args, self.distance))

    def used(self, k: int) -> Bool:
        """Which of the ``k`` candidate arcs carry flow."""
        result = np.zeros(k, dtype=np.bool_)
        result[self.arcs[self.flow[: len(self.arcs)] > 0]] = True
        return result


@jit
def _reachable(
    n_nodes: int, tail: Int32, head: Int32, cap: Int64, flow: Int64, source: int
) -> Bool:
    """Nodes reachable from ``source`` along arcs with residual capacity."""
    start, adjacent = _adjacency(n_nodes, tail, head)
    reached = np.zeros(n_nodes, dtype=np.bool_)
    stack = np.empty(n_nodes, dtype=np.int64)
    stack[0] = source
    reached[source] = True
    top = 1
    while top:
        top -= 1
        u = stack[top]
        for j in range(start[u], start[u + 1]):
            e = adjacent[j]
            if e > 0:
                if flow[e - 1] >= cap[e - 1]:
                    continue
                v = head[e - 1]
            else:
                if flow[-e - 1] <= 0:
                    continue
                v = tail[-e - 1]
            if not reached[v]:
                reached[v] = True
                stack[top] = v
                top += 1
    return reached


@jit
def _feasible(
    tail: Int32, head: Int32, cap: Int64, cost: Int64, flow: Int64, distance: Int64
) -> bool:
    """Whether every residual arc has a reduced cost >= 0 (the potentials prove the flow)."""
    for e in range(len(tail)):
        reduced = cost[e] + distance[tail[e]] - distance[head[e]]
        if flow[e] < cap[e] and reduced < 0:
            return False
        if flow[e] > 0 and reduced > 0:
            return False
    return True
