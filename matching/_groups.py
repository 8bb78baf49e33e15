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
rule is solved by CP-SAT (one worker: deterministic), hinted with the relaxed solution less
its too-small groups, bounded by the relaxation, under a time limit; a stop before the proof
reports ``optimal=False`` and the relative gap of the lexicographic objective.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

from matching._index import Bool, Int32, Int64
from matching.errors import MatchingError

#: Seconds CP-SAT may spend over all parts of one solve before it stops with the best found.
TIME_LIMIT_S = 60.0


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


def solve_groups(arcs: GroupArcs, time_limit: float = TIME_LIMIT_S) -> GroupResult:
    """The exact group stage (see the module docstring)."""
    k = len(arcs.req)
    if k == 0:
        return GroupResult(used=np.zeros(0, dtype=np.bool_), optimal=True, gap=0.0)
    relaxed = _relaxation(arcs)
    everything = np.arange(k, dtype=np.int64)
    if not _broken(arcs, relaxed, everything):
        return GroupResult(used=relaxed, optimal=True, gap=0.0)
    used = relaxed.copy()
    optimal = True
    bound_total = found_total = 0.0
    deadline = time.monotonic() + time_limit
    for part in _components(arcs):
        if not _broken(arcs, relaxed, part):
            continue
        chosen, proven, bound, found = _solve_part(
            arcs, part, relaxed, max(0.0, deadline - time.monotonic())
        )
        used[part] = chosen
        optimal &= proven
        bound_total += bound
        found_total += found
    gap = 0.0 if optimal else (bound_total - found_total) / max(1.0, bound_total)
    return GroupResult(used=used, optimal=optimal, gap=gap)


def _solve_part(
    arcs: GroupArcs, part: Int64, relaxed: Bool, seconds: float
) -> tuple[Bool, bool, float, float]:
    """CP-SAT on one part: (chosen arcs of ``part``, proven, bound, found) with the bound and
    the value in the model's lexicographic units."""
    weight = arcs.weight[part]
    big = int(weight.sum()) + 1  # one more participant outweighs any sum of weights
    gain = (big + weight).tolist()
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(part))]
    local = {int(a): j for j, a in enumerate(part.tolist())}
    by_req: dict[int, list[int]] = {}
    by_pair: dict[tuple[int, int], list[int]] = {}
    by_group: dict[int, list[int]] = {}
    for j, a in enumerate(part.tolist()):
        by_req.setdefault(int(arcs.req[a]), []).append(j)
        by_pair.setdefault((int(arcs.person[a]), int(arcs.mentor[a])), []).append(j)
        by_group.setdefault(int(arcs.group[a]), []).append(j)
    for members in (*by_req.values(), *by_pair.values()):
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
    objective = sum(gain[j] * x[j] for j in range(len(part)))
    upper = sum(gain[local[int(a)]] for a in part[relaxed[part]].tolist())
    model.add(objective <= upper)  # the relaxation bounds the optimum
    model.maximize(objective)
    hint = _feasible_hint(arcs, relaxed, part)
    for j, a in enumerate(part.tolist()):
        model.add_hint(x[j], bool(hint[a]))
    hinted_groups = {int(arcs.group[a]) for a in part[hint[part]].tolist()}
    for g, y in runs.items():
        model.add_hint(y, g in hinted_groups)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = max(seconds, 0.01)
    status = solver.solve(model)
    hinted_value = float(sum(gain[local[int(a)]] for a in part[hint[part]].tolist()))
    if status == cp_model.OPTIMAL:
        chosen = np.array([solver.boolean_value(v) for v in x], dtype=np.bool_)
        return chosen, True, float(solver.objective_value), float(solver.objective_value)
    bound = min(float(upper), float(solver.best_objective_bound))
    if status == cp_model.FEASIBLE and solver.objective_value >= hinted_value:
        chosen = np.array([solver.boolean_value(v) for v in x], dtype=np.bool_)
        return chosen, False, bound, float(solver.objective_value)
    return hint[part], False, bound, hinted_value
