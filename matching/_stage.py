"""The group stage inside a solve: from candidate arcs and the flow's matches to groups.

The pairs the flow chose are forbidden here household-wide (a flow match of a household
member, or of the household, with m removes m for every member's group requests; such arcs
count under rule 6, ``forbidden``). The rest is :func:`matching._groups.solve_groups`; this
module also names the groups and the ``group_size`` reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching._groups import GroupArcs, solve_groups
from matching._index import Index, Int32, Int64
from matching.candidates import first_failed_rule
from matching.model import PAIR_RULES, Group, GroupShortfall

_FORBIDDEN = PAIR_RULES.index("forbidden")
_PASSED = len(PAIR_RULES)


@dataclass(frozen=True, slots=True)
class StageResult:
    """Chosen group pairs (request, mentor), the groups, and per unmatched group request
    with candidates: (reason, trainers with a running group, shortfall)."""

    req: Int32
    men: Int32
    optimal: bool
    gap: float
    groups: tuple[Group, ...]
    shortfalls: dict[int, tuple[str, int, GroupShortfall | None]]


def _recount(index: Index, stages: Int64, flow_req: Int32, flow_men: Int32) -> None:
    """Move the group pairs the flow's matches forbid (household-wide) to rule 6 in
    ``stages``: those that passed every rule, and those that failed only ``capacity``."""
    rows, unit = index.req_newcomer, index.row_unit
    group_requests = np.flatnonzero(index.prog_group[index.req_programme])
    by_unit: dict[int, list[int]] = {}
    for r, u in zip(group_requests.tolist(), unit[rows[group_requests]].tolist(), strict=True):
        by_unit.setdefault(u, []).append(r)
    pair_req: list[int] = []
    pair_men: list[int] = []
    for u, m in zip(unit[rows[flow_req]].tolist(), flow_men.tolist(), strict=True):
        for r in by_unit.get(u, ()):
            pair_req.append(r)
            pair_men.append(m)
    if not pair_req:
        return
    r_arr = np.array(pair_req, dtype=np.int32)
    stage, _ = first_failed_rule(index, r_arr, np.array(pair_men, dtype=np.int32))
    moved = stage > _FORBIDDEN
    np.add.at(stages, (r_arr[moved], stage[moved].astype(np.int64)), -1)
    np.add.at(stages, (r_arr[moved], np.full(int(moved.sum()), _FORBIDDEN)), 1)


def group_stage(
    index: Index,
    req: Int32,
    men: Int32,
    cost: Int64,
    stages: Int64,
    flow_req: Int32,
    flow_men: Int32,
    time_limit: float,
) -> StageResult:
    """Solve the groups from the group programmes' candidate arcs ``req``, ``men``, ``cost``;
    ``stages`` (per request, per first failed rule) is updated for the arcs the flow's
    matches forbid."""
    n_mentors, n_prog = len(index.mentors), len(index.programmes)
    rows = index.req_newcomer
    taken = index.row_unit[rows[flow_req]].astype(np.int64) * n_mentors + flow_men
    keys = index.row_unit[rows[req]].astype(np.int64) * n_mentors + men
    arcs = np.flatnonzero(~np.isin(keys, taken))
    _recount(index, stages, flow_req, flow_men)
    g_req, g_men = req[arcs], men[arcs]
    g_prog = index.req_programme[g_req]
    fixed_count = np.zeros((n_mentors, n_prog), dtype=np.int64)
    for (m, p), ids in index.group_fixed.items():
        fixed_count[m, p] = len(ids)
    group_min = np.array([p.group_min or 0 for p in index.programmes], dtype=np.int64)
    keys_of_group, group = np.unique(g_men.astype(np.int64) * n_prog + g_prog, return_inverse=True)
    group = group.reshape(-1).astype(np.int64)
    g_m, g_p = keys_of_group // n_prog, keys_of_group % n_prog
    fixed_here = fixed_count[g_m, g_p]
    result = solve_groups(
        GroupArcs(
            req=np.ascontiguousarray(g_req, dtype=np.int32),
            group=group,
            mentor=np.ascontiguousarray(g_men, dtype=np.int32),
            person=np.ascontiguousarray(rows[g_req], dtype=np.int32),
            weight=-cost[arcs].astype(np.int64),
            cap=index.places[g_m, g_p].astype(np.int64),
            need=np.where(fixed_here > 0, 0, group_min[g_p]),
        ),
        time_limit,
    )
    chosen = np.flatnonzero(result.used)
    load = np.bincount(group[chosen], minlength=len(keys_of_group))
    running = (load > 0) | (fixed_here > 0)

    members: dict[tuple[int, int], list[str]] = {
        key: list(ids) for key, ids in index.group_fixed.items()
    }
    for a in chosen.tolist():
        key = (int(g_men[a]), int(g_prog[a]))
        members.setdefault(key, []).append(index.n.ids[int(rows[g_req[a]])])
    groups = tuple(
        sorted(
            (
                Group(
                    programme=index.programmes[p].code,
                    mentor=index.m.ids[m],
                    members=tuple(sorted(ids)),
                )
                for (m, p), ids in members.items()
            ),
            key=lambda g: (g.programme, g.mentor),
        )
    )

    matched = np.zeros(index.n_requests, dtype=np.bool_)
    matched[g_req[chosen]] = True
    waiting = np.bincount(group, minlength=len(keys_of_group)) + fixed_here
    shortfalls: dict[int, tuple[str, int, GroupShortfall | None]] = {}
    per_request: dict[int, list[int]] = {}
    for a, r in enumerate(g_req.tolist()):
        if not matched[r]:
            per_request.setdefault(r, []).append(int(group[a]))
    for r, gs in per_request.items():
        alive = sum(1 for g in gs if running[g])
        if alive:
            shortfalls[r] = ("capacity", alive, None)
        else:
            p = int(index.req_programme[r])
            most = max(int(waiting[g]) for g in gs)
            shortfalls[r] = ("group_size", 0, GroupShortfall(most, int(group_min[p])))
    return StageResult(
        req=np.ascontiguousarray(g_req[chosen], dtype=np.int32),
        men=np.ascontiguousarray(g_men[chosen], dtype=np.int32),
        optimal=result.optimal,
        gap=result.gap,
        groups=groups,
        shortfalls=shortfalls,
    )
