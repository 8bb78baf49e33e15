"""The group stage: trainers' groups in ``unit: group`` programmes, solved exactly.

After the flow, each group request (newcomer, programme) may join one candidate trainer's
group. A trainer leads at most one group per programme, of at most ``group_max``
participants (fixed ones included); a group without fixed participants runs only with at
least ``group_min``; a newcomer never gets one trainer in two group programmes. Objective,
lexicographic as the flow's: the most participants, then the largest sum of weights.

The minimum makes this no flow. The relaxation without it (and without the cross-programme
never-twice rule) is a max flow of minimum cost: an upper bound, and when its solution keeps
every group at 0 or at least its minimum and nobody twice with one trainer, it is the exact
optimum. Otherwise each connected part of the candidate graph whose relaxed solution breaks a
rule is solved exactly by a branch and bound on the groups (:func:`_branch_and_bound`: each
node a max flow of minimum cost with some groups closed and some held at their minimum),
and where that needs more than its share of work, or one newcomer could meet one trainer in
two programmes, by SCIP (:func:`_solve_mip`, one thread: deterministic), a mixed-integer
programme whose linear relaxation holds each arc below its group's open variable — far
stronger than the flow's bound — under a limit of nodes, both objectives in one (a
participant outweighs any weights), stopping when it is proven within ``slack`` cost units
a participant of the optimum (0.0008 of a score: inside the contract's 0.001 a match).
A part SCIP does not prove within its nodes goes to CP-SAT (one worker: deterministic),
hinted with the better of SCIP's best and the relaxed solution less its too-small groups,
bounded by the relaxation, under a deterministic time limit, in the same two solves. A stop
before the proof reports ``optimal=False`` and the relative gap: of the participant count
when the count is not proven, else of the weight sum. Each is exact; among equally good
answers they may choose different ones (each deterministic).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

if TYPE_CHECKING:  # imported where CP-SAT runs: it costs 0.4 s at import, rarely needed
    from ortools.sat.python import cp_model

from matching._index import Bool, Int32, Int64
from matching.errors import MatchingError
from matching.scoring import COST_SCALE

#: CP-SAT's deterministic time (its work units, about seconds here) over all parts of one
#: solve before it stops with the best found (``optimal=False``, the gap reported).
TIME_LIMIT_S = 60.0
#: The branch and bound's work (arcs of the part times nodes solved) per unit of that time:
#: measured, about a second of one core. Its work is spent from the same budget.
BRANCH_WORK_PER_S = 1_000_000
#: At most this much of the budget, and this many nodes, go to one part's branch and bound;
#: beyond either the part goes to CP-SAT, which proves hard parts better (many trainers per
#: participant, where the flow's bound is weak: households-30k's largest part needs over
#: 10,000 nodes, the benchmarks' largest about 100).
BRANCH_LIMIT_S = 1.0
BRANCH_NODES = 400
#: SCIP's nodes a solve before a part goes on to CP-SAT with SCIP's best (a count of nodes,
#: not seconds: the same input stops at the same point).
MIP_NODES = 1_000
#: How far below the optimum weight a proven group solve may be, per participant, in cost
#: units: 0.0008 of a score, which with the costs' own rounding (0.0001 a match) and
#: floating point's tolerances keeps the contract's 0.001 per match.
WEIGHT_SLACK = COST_SCALE * 8 // 10_000


@dataclass(frozen=True, slots=True)
class GroupResult:
    """Which group arcs are chosen; whether proven optimal; the relative gap if not."""

    used: Bool
    optimal: bool
    gap: float


@dataclass(frozen=True, slots=True)
class GroupArcs:
    """Candidate arcs of group requests: request ``req[i]`` joins group ``group[i]`` (a
    trainer's group in one programme) for ``weight[i]`` (integer, >= 0); ``person[i]`` is the
    newcomer (never twice with trainer ``mentor[i]``). Group g has ``cap[g]`` places left and
    needs ``need[g]`` participants to run (0: it runs already, or any size will do)."""

    req: Int32
    group: Int64
    mentor: Int32
    person: Int32
    weight: Int64
    cap: Int64
    need: Int64


def _relaxation(arcs: GroupArcs) -> Bool:
    """Max flow of minimum cost without the minimum and the cross-programme rule."""
    k = len(arcs.req)
    requests, req_node = np.unique(arcs.req, return_inverse=True)
    n_req, n_groups = len(requests), len(arcs.cap)
    req_node = req_node.reshape(-1).astype(np.int64) + 2
    group_node = 2 + n_req + np.arange(n_groups, dtype=np.int64)
    tails = np.concatenate([np.zeros(n_req, np.int64), req_node, group_node])
    heads = np.concatenate([2 + np.arange(n_req), group_node[arcs.group], np.ones(n_groups)])
    caps = np.concatenate([np.ones(n_req + k, np.int64), arcs.cap])
    costs = np.concatenate([np.zeros(n_req, np.int64), -arcs.weight, np.zeros(n_groups)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32),
        heads.astype(np.int32),
        caps.astype(np.int64),
        costs.astype(np.int64),
    )
    flow.set_node_supply(0, n_req)
    flow.set_node_supply(1, -n_req)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise MatchingError(f"group relaxation failed with status {status}")
    flows = np.asarray(flow.flows(np.arange(n_req, n_req + k, dtype=np.int32)))
    return np.asarray(flows > 0, dtype=np.bool_)


def _broken(arcs: GroupArcs, used: Bool, subset: Int64) -> bool:
    """Whether ``used`` (restricted to arcs ``subset``) leaves a group below its need or a
    newcomer twice with one trainer."""
    chosen = subset[used[subset]]
    load = np.bincount(arcs.group[chosen], minlength=len(arcs.cap))
    if np.any((load > 0) & (load < arcs.need)):
        return True
    pairs = (
        arcs.person[chosen].astype(np.int64) * (int(arcs.mentor.max()) + 1) + arcs.mentor[chosen]
    )
    return len(np.unique(pairs)) < len(pairs)


def _components(arcs: GroupArcs) -> list[Int64]:
    """Arc sets of the parts of the candidate graph that cannot interact (requests, groups
    and a newcomer's pairs with one trainer joined), in order of their first arc."""
    k = len(arcs.req)
    parent = list(range(k))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for keys in (
        arcs.req.astype(np.int64),
        arcs.group,
        arcs.person.astype(np.int64) * (int(arcs.mentor.max()) + 1) + arcs.mentor,
    ):
        first: dict[int, int] = {}
        for i, key in enumerate(keys.tolist()):
            j = first.setdefault(key, i)
            if j != i:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    roots = np.array([find(i) for i in range(k)], dtype=np.int64)
    order = np.argsort(roots, kind="stable")
    cuts = np.flatnonzero(np.diff(roots[order])) + 1
    return list(np.split(order, cuts))


def _feasible_hint(arcs: GroupArcs, used: Bool, subset: Int64) -> Bool:
    """``used`` on ``subset`` made feasible: twice-with-one-trainer pairs keep their first
    arc, then groups below their need are emptied."""
    hint = np.zeros(len(used), dtype=np.bool_)
    chosen = subset[used[subset]]
    seen: set[tuple[int, int]] = set()
    for i in chosen.tolist():
        key = (int(arcs.person[i]), int(arcs.mentor[i]))
        if key not in seen:
            seen.add(key)
            hint[i] = True
    picked = np.flatnonzero(hint)
    load = np.bincount(arcs.group[picked], minlength=len(arcs.cap))
    small = (load > 0) & (load < arcs.need)
    hint[picked[small[arcs.group[picked]]]] = False
    return hint


def _start(arcs: GroupArcs, part: Int64, relaxed: Bool, found: Bool | None) -> Bool:
    """A solution over ``part`` to start an exact solver from: the relaxed solution made
    feasible, or ``found`` (a solution over ``part``) if better."""
    hint = _feasible_hint(arcs, relaxed, part)[part]
    if found is not None and _value(arcs, part, found) > _value(arcs, part, hint):
        return found
    return hint


def solve_groups(
    arcs: GroupArcs, time_limit: float = TIME_LIMIT_S, slack: int = WEIGHT_SLACK
) -> GroupResult:
    """The exact group stage (see the module docstring); a part SCIP proves is within
    ``slack`` cost units of the optimum weight per participant."""
    k = len(arcs.req)
    if k == 0:
        return GroupResult(used=np.zeros(0, dtype=np.bool_), optimal=True, gap=0.0)
    relaxed = _relaxation(arcs)
    everything = np.arange(k, dtype=np.int64)
    if not _broken(arcs, relaxed, everything):
        return GroupResult(used=relaxed, optimal=True, gap=0.0)
    used = relaxed.copy()
    budget = _Budget(time_limit)
    counts, weights = _Tally(), _Tally()
    for part in _components(arcs):
        if not _broken(arcs, relaxed, part):
            continue
        exact, proven = _branch_and_bound(arcs, part, budget)
        if not proven and budget.left > 0:
            start = _start(arcs, part, relaxed, exact)
            exact, proven = _solve_mip(arcs, part, start, budget, slack)
        if not proven:
            used[part] = _solve_part(arcs, part, relaxed, budget, counts, weights, exact)
            continue
        assert exact is not None
        used[part] = exact
        n, w = float(exact.sum()), float(arcs.weight[part][exact].sum())
        counts.add(n, n, True)
        weights.add(w, w, True)
    optimal = counts.proven and weights.proven
    gap = 0.0 if optimal else (counts if not counts.proven else weights).gap()
    return GroupResult(used=used, optimal=optimal, gap=gap)


@dataclass(slots=True)
class _Budget:
    """CP-SAT's deterministic time left (its work units, about seconds): the same input
    stops at the same point whatever the machine's load, so the output stays the same."""

    left: float

    def spend(self, solver: cp_model.CpSolver) -> None:
        self.left = max(0.0, self.left - solver.deterministic_time)

    def spend_work(self, work: int) -> None:
        """Spend the branch and bound's ``work`` (see :data:`BRANCH_WORK_PER_S`)."""
        self.left = max(0.0, self.left - work / BRANCH_WORK_PER_S)


@dataclass(slots=True)
class _Tally:
    """Bounds and values of one objective over the parts."""

    bound: float = 0.0
    found: float = 0.0
    proven: bool = True

    def add(self, bound: float, found: float, proven: bool) -> None:
        self.bound += bound
        self.found += found
        self.proven &= proven

    def gap(self) -> float:
        return (self.bound - self.found) / max(1.0, abs(self.bound))


def _value(arcs: GroupArcs, part: Int64, chosen: Bool) -> tuple[int, int]:
    """(participants, weight) of the arcs ``chosen`` over ``part``."""
    return int(chosen.sum()), int(arcs.weight[part][chosen].sum())


def _run(model: cp_model.CpModel, budget: _Budget) -> tuple[cp_model.CpSolver, Any]:
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1  # one worker: deterministic
    solver.parameters.random_seed = 0
    solver.parameters.linearization_level = 2  # measured: proofs in seconds, not minutes
    solver.parameters.max_deterministic_time = max(budget.left, 0.01)
    status = solver.solve(model)
    budget.spend(solver)
    return solver, status


def _sets(arcs: GroupArcs, part: Int64) -> tuple[list[list[int]], dict[int, list[int]]]:
    """The positions in ``part`` of the arcs of which at most one may be chosen (each
    request's, each (newcomer, trainer)'s), and of each group's arcs."""
    by_req: dict[int, list[int]] = {}
    by_pair: dict[tuple[int, int], list[int]] = {}
    by_group: dict[int, list[int]] = {}
    for j, a in enumerate(part.tolist()):
        by_req.setdefault(int(arcs.req[a]), []).append(j)
        by_pair.setdefault((int(arcs.person[a]), int(arcs.mentor[a])), []).append(j)
        by_group.setdefault(int(arcs.group[a]), []).append(j)
    return [*by_req.values(), *by_pair.values()], by_group


def _solve_part(
    arcs: GroupArcs,
    part: Int64,
    relaxed: Bool,
    budget: _Budget,
    counts: _Tally,
    weights: _Tally,
    found: Bool | None = None,
) -> Bool:
    """CP-SAT on one part, lexicographic in two solves: the most participants, then (that
    many fixed) the largest weight. Returns the chosen arcs of ``part``. Hinted with the
    relaxed solution made feasible, or with ``found`` (a solution, over ``part``) if better."""
    from ortools.sat.python import cp_model

    weight = arcs.weight[part].tolist()
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(part))]
    at_most_one, by_group = _sets(arcs, part)
    for members in at_most_one:
        if len(members) > 1:
            model.add_at_most_one(x[j] for j in members)
    runs: dict[int, cp_model.IntVar] = {}
    for g, members in by_group.items():
        cap, need = int(arcs.cap[g]), int(arcs.need[g])
        size = sum(x[j] for j in members)
        if need > 0:
            y = model.new_bool_var(f"y{g}")
            runs[g] = y
            model.add(size <= cap * y)
            model.add(size >= need * y)
            for j in members:
                model.add_implication(x[j], y)
        elif len(members) > cap:
            model.add(size <= cap)
    hint = _start(arcs, part, relaxed, found)
    relaxed_count = int(relaxed[part].sum())
    count = sum(x)
    model.add(count <= relaxed_count)  # the relaxation bounds the count

    def hinted(values: list[bool]) -> None:
        model.clear_hints()  # type: ignore[no-untyped-call]
        for var, value in zip(x, values, strict=True):
            model.add_hint(var, value)
        chosen_groups = {
            int(arcs.group[a]) for a, v in zip(part.tolist(), values, strict=True) if v
        }
        for g, y in runs.items():
            model.add_hint(y, g in chosen_groups)

    best = hint.tolist()
    hinted(best)
    model.maximize(count)
    solver, status = _run(model, budget)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.objective_value >= sum(best):
        best = [bool(solver.boolean_value(v)) for v in x]
    proven = status == cp_model.OPTIMAL
    bound = (
        relaxed_count
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        else min(relaxed_count, round(solver.best_objective_bound))
    )
    counts.add(float(bound), float(sum(best)), proven)
    total = sum(w for w, v in zip(weight, best, strict=True) if v)
    if not proven:
        weights.add(float(total), float(total), False)
        return np.array(best, dtype=np.bool_)
    model.add(count == sum(best))
    hinted(best)
    model.maximize(sum(w * v for w, v in zip(weight, x, strict=True)))
    solver, status = _run(model, budget)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.objective_value >= total:
        best = [bool(solver.boolean_value(v)) for v in x]
        total = round(solver.objective_value)
    found_weight = float(total)
    w_bound = (
        float(solver.best_objective_bound)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        else float(sum(weight))
    )
    weights.add(max(w_bound, found_weight), found_weight, status == cp_model.OPTIMAL)
    return np.array(best, dtype=np.bool_)


def _solve_mip(
    arcs: GroupArcs, part: Int64, start: Bool, budget: _Budget, slack: int
) -> tuple[Bool, bool]:
    """SCIP on one part (one thread: deterministic); ``start`` is a solution over ``part``
    to fall back on (as a hint it only slowed SCIP, which finds its own at the root). Its
    linear relaxation holds each arc below its group's open variable, which the flow's does
    not: on the 100,000 benchmark's MindSpring part (46,881 arcs) it bounds the count
    exactly at the root. One solve of both objectives: each arc is worth its weight plus
    twice every request's best weight together and the slack, so one participant more
    outweighs any weights with room for floating point's tolerances, and the solve stops
    once proven within ``slack`` cost units a participant of the optimum. Returns the chosen
    arcs over ``part`` and True when so proven; else the best solution found and False
    (after :data:`MIP_NODES` nodes, or for a part so large that the objective would not be
    exact in floating point)."""
    from ortools.linear_solver import pywraplp

    weight = arcs.weight[part]
    order = np.argsort(arcs.req[part], kind="stable")
    firsts = np.flatnonzero(np.diff(arcs.req[part][order], prepend=-1))
    gap = slack * int(start.sum())
    participant = 2 * (int(np.maximum.reduceat(weight[order], firsts).sum()) + gap) + 1
    if participant * (len(firsts) + 1) >= 2**52:
        return start, False
    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:
        raise MatchingError("SCIP is missing from this OR-Tools build")
    inf = solver.infinity()
    x = [solver.BoolVar(f"x{j}") for j in range(len(part))]
    at_most_one, by_group = _sets(arcs, part)
    for members in at_most_one:
        if len(members) > 1:
            row = solver.RowConstraint(-inf, 1)
            for j in members:
                row.SetCoefficient(x[j], 1)
    for g, members in by_group.items():
        cap, need = int(arcs.cap[g]), int(arcs.need[g])
        if need == 0:
            if len(members) > cap:
                row = solver.RowConstraint(-inf, cap)
                for j in members:
                    row.SetCoefficient(x[j], 1)
            continue
        y = solver.BoolVar(f"y{g}")
        most, least = solver.RowConstraint(-inf, 0), solver.RowConstraint(0, inf)
        most.SetCoefficient(y, -cap)
        least.SetCoefficient(y, -need)
        for j in members:
            most.SetCoefficient(x[j], 1)
            least.SetCoefficient(x[j], 1)
            joins = solver.RowConstraint(-inf, 0)  # x_j <= y_g: the relaxation's strength
            joins.SetCoefficient(x[j], 1)
            joins.SetCoefficient(y, -1)
    objective = solver.Objective()
    for var, w in zip(x, weight.tolist(), strict=True):
        objective.SetCoefficient(var, float(participant + w))
    objective.SetMaximization()
    solver.SetSolverSpecificParametersAsString(
        f"limits/totalnodes = {MIP_NODES}\nlimits/absgap = {gap}\n"
    )
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    status = solver.Solve(params)
    budget.spend_work((solver.nodes() + 1) * len(part))
    if status not in (solver.OPTIMAL, solver.FEASIBLE):
        return start, False
    found = np.array([v.solution_value() > 0.5 for v in x], dtype=np.bool_)
    best = found if _value(arcs, part, found) >= _value(arcs, part, start) else start
    return best, bool(status == solver.OPTIMAL)


_FREE, _OPEN, _CLOSED = 0, 1, 2


def _branch_and_bound(arcs: GroupArcs, part: Int64, budget: _Budget) -> tuple[Bool | None, bool]:
    """The exact optimum of ``part`` (its chosen arcs) and True; or the best solution found
    (None if none) and False: when a newcomer could meet one trainer in two programmes here
    (CP-SAT keeps that rule), or when the work allowed (``BRANCH_LIMIT_S`` of the budget,
    ``BRANCH_NODES`` nodes) does not finish the search.

    A node fixes some groups closed and some open (at least their need), the rest free. Its
    bound: the most participants over the groups not closed (a max flow; the minimums do
    not lower it, as augmenting paths never empty a group), then the largest weight among
    that many that fill every open group's minimum (a min-cost flow of that value, an open
    group's minimum a demand of its node); if none does, the node has no solution. When no
    free group is below its need the flow is a solution, the best below the node; else the
    node branches on the fullest such group: closed, then open, depth first, open first.
    A node whose bound, or its parent's, is no better (participants, then weight) than the
    best solution found is cut."""
    k = len(part)
    limit = min(int(min(budget.left, BRANCH_LIMIT_S) * BRANCH_WORK_PER_S), BRANCH_NODES * k)
    mentor = arcs.mentor[part].astype(np.int64)
    pairs = arcs.person[part].astype(np.int64) * (int(mentor.max()) + 1) + mentor
    if k > limit or len(np.unique(pairs)) < k:
        return None, False
    requests, req_local = np.unique(arcs.req[part], return_inverse=True)
    groups, grp_local = np.unique(arcs.group[part], return_inverse=True)
    req_local, grp_local = req_local.reshape(-1), grp_local.reshape(-1)
    n_req, n_groups = len(requests), len(groups)
    cap, need = arcs.cap[groups], arcs.need[groups]
    weight = arcs.weight[part]
    # Nodes: 0 source, 1 sink, the requests, the groups. Arcs: source -> request, request
    # -> group (the part's arcs, in order), group -> sink.
    group_node = 2 + n_req + np.arange(n_groups, dtype=np.int64)
    tails = np.concatenate([np.zeros(n_req, np.int64), 2 + req_local, group_node]).astype(np.int32)
    heads = np.concatenate(
        [2 + np.arange(n_req), group_node[grp_local], np.ones(n_groups, np.int64)]
    ).astype(np.int32)
    caps = np.concatenate([np.ones(n_req + k, np.int64), cap])
    costs = np.concatenate([np.zeros(n_req, np.int64), -weight, np.zeros(n_groups, np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    most = max_flow.SimpleMaxFlow()
    most.add_arcs_with_capacity(tails, heads, caps)
    nodes = np.arange(2 + n_req + n_groups, dtype=np.int32)
    supply = np.zeros(len(nodes), dtype=np.int64)
    pair_arcs = np.arange(n_req, n_req + k, dtype=np.int32)
    sink_arcs = np.arange(n_req + k, n_req + k + n_groups, dtype=np.int32)
    degree = np.bincount(grp_local, minlength=n_groups)
    root = np.full(n_groups, _FREE, dtype=np.int8)
    root[(need > 0) & ((degree < need) | (cap < need))] = _CLOSED  # can never run
    best: Bool | None = None
    best_value = (-1, -1)
    stack = [(root, (n_req + 1, 0))]  # a node and its parent's bound
    work = 0
    while stack:
        status, bound = stack.pop()
        if bound <= best_value:
            continue  # the parent's bound is no better than a solution found since
        if work + k > limit:
            budget.spend_work(work)
            return best, False
        work += k
        open_cap = np.where(status == _CLOSED, 0, cap)
        most.set_arcs_capacity(sink_arcs, open_cap)
        if most.solve(0, 1) != most.OPTIMAL:
            raise MatchingError("group branch and bound: a max flow failed")
        count = most.optimal_flow()
        if count < best_value[0]:
            continue  # fewer participants than a solution found, whatever the weight
        minimum = np.where(status == _OPEN, need, 0)
        demand = int(minimum.sum())
        if count < demand:
            continue  # the open groups' minimums cannot all be met
        supply[0], supply[1], supply[2 + n_req :] = count, demand - count, -minimum
        flow.set_nodes_supplies(nodes, supply)
        flow.set_arc_capacities(sink_arcs, open_cap - minimum)
        solved = flow.solve()
        if solved == flow.INFEASIBLE:
            continue  # the same: not with that many participants, so not at all
        if solved != flow.OPTIMAL:
            raise MatchingError(f"group branch and bound: a flow failed with status {solved}")
        chosen = np.asarray(flow.flows(pair_arcs)) > 0
        value = (int(chosen.sum()), int(weight[chosen].sum()))
        if value <= best_value:
            continue
        load = np.bincount(grp_local[chosen], minlength=n_groups)
        small = np.flatnonzero((status == _FREE) & (load > 0) & (load < need))
        if len(small) == 0:
            best, best_value = chosen, value
            continue
        g = small[np.argmax(load[small])]
        closed, opened = status.copy(), status.copy()
        closed[g], opened[g] = _CLOSED, _OPEN
        stack.extend(((closed, value), (opened, value)))
    budget.spend_work(work)
    return best, best is not None
