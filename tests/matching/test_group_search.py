"""The group stage's branch and bound against CP-SAT on random candidate graphs: the same
participant count and weight, and a legal answer (caps, minimums, one group per request)."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import _groups
from matching._groups import (
    GroupArcs,
    _branch_and_bound,
    _Budget,
    _components,
    _relaxation,
    _solve_mip,
    _solve_part,
    _start,
    _Tally,
    solve_groups,
)


@st.composite
def group_arcs(draw: st.DrawFn) -> GroupArcs:
    n_req = draw(st.integers(1, 14))
    n_groups = draw(st.integers(1, 5))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n_req - 1), st.integers(0, n_groups - 1)),
            min_size=1,
            max_size=40,
            unique=True,
        )
    )
    pairs.sort()
    req = np.array([r for r, _ in pairs], dtype=np.int32)
    group = np.array([g for _, g in pairs], dtype=np.int64)
    weight = np.array(draw(st.lists(st.integers(0, 9), min_size=len(pairs), max_size=len(pairs))))
    cap = np.array(draw(st.lists(st.integers(1, 5), min_size=n_groups, max_size=n_groups)))
    need = np.array(draw(st.lists(st.integers(0, 5), min_size=n_groups, max_size=n_groups)))
    return GroupArcs(
        req=req,
        group=group,
        mentor=group.astype(np.int32),  # one programme: a trainer per group
        person=req,
        weight=weight.astype(np.int64),
        cap=cap.astype(np.int64),
        need=need.astype(np.int64),
    )


@st.composite
def dense_group_arcs(draw: st.DrawFn) -> GroupArcs:
    """Every group needing 2 to 4, most requests able to join most groups: searches of many
    nodes."""
    n_req, n_groups = draw(st.integers(6, 20)), draw(st.integers(3, 6))
    mask = draw(st.lists(st.booleans(), min_size=n_req * n_groups, max_size=n_req * n_groups))
    pairs = [(r, g) for r in range(n_req) for g in range(n_groups) if mask[r * n_groups + g]]
    pairs = pairs or [(0, 0)]
    req = np.array([r for r, _ in pairs], dtype=np.int32)
    group = np.array([g for _, g in pairs], dtype=np.int64)
    weight = draw(st.lists(st.integers(0, 9), min_size=len(pairs), max_size=len(pairs)))
    need = np.array(draw(st.lists(st.integers(2, 4), min_size=n_groups, max_size=n_groups)))
    extra = np.array(draw(st.lists(st.integers(0, 2), min_size=n_groups, max_size=n_groups)))
    return GroupArcs(
        req=req,
        group=group,
        mentor=group.astype(np.int32),
        person=req,
        weight=np.array(weight, dtype=np.int64),
        cap=(need + extra).astype(np.int64),
        need=need.astype(np.int64),
    )


def _value(arcs: GroupArcs, used: np.ndarray) -> tuple[int, int]:
    """(participants, weight) of the arcs ``used``."""
    return int(used.sum()), int(arcs.weight[used].sum())


def _assert_legal(arcs: GroupArcs, chosen: np.ndarray) -> None:
    """One group a request, every group within its places and at 0 or its minimum."""
    assert len(np.unique(arcs.req[chosen])) == len(chosen)
    load = np.bincount(arcs.group[chosen], minlength=len(arcs.cap))
    assert np.all(load <= arcs.cap)
    assert not np.any((load > 0) & (load < arcs.need))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(group_arcs(), dense_group_arcs()))
def test_the_branch_and_bound_finds_cp_sats_optimum(arcs: GroupArcs) -> None:
    relaxed = _relaxation(arcs)
    for part in _components(arcs):
        with patch.object(_groups, "BRANCH_NODES", 10**6):  # the search to its end
            exact, finished = _branch_and_bound(arcs, part, _Budget(60.0))
        assert finished and exact is not None
        proven = _solve_part(arcs, part, relaxed, _Budget(60.0), _Tally(), _Tally())
        assert exact.sum() == proven.sum()
        assert arcs.weight[part][exact].sum() == arcs.weight[part][proven].sum()
        _assert_legal(arcs, part[exact])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dense_group_arcs(), st.integers(1, 4))
def test_a_search_cut_short_hands_its_best_to_cp_sat(arcs: GroupArcs, nodes: int) -> None:
    full = solve_groups(arcs, slack=0)
    with patch.object(_groups, "BRANCH_NODES", nodes):
        short = solve_groups(arcs, slack=0)
    assert full.optimal and short.optimal
    assert _value(arcs, short.used) == _value(arcs, full.used)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dense_group_arcs(), st.integers(1, 4))
def test_a_mip_cut_short_hands_its_best_to_cp_sat(arcs: GroupArcs, nodes: int) -> None:
    full = solve_groups(arcs, slack=0)
    with (
        patch.object(_groups, "BRANCH_NODES", nodes),
        patch.object(_groups, "MIP_NODES", 0),  # SCIP stops before its root is done
    ):
        short = solve_groups(arcs, slack=0)
    assert full.optimal and short.optimal
    assert _value(arcs, short.used) == _value(arcs, full.used)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(group_arcs(), dense_group_arcs()), st.integers(0, 3))
def test_scip_finds_the_branch_and_bounds_optimum_within_its_slack(
    arcs: GroupArcs, slack: int
) -> None:
    relaxed = _relaxation(arcs)
    for part in _components(arcs):
        with patch.object(_groups, "BRANCH_NODES", 10**6):
            exact, _ = _branch_and_bound(arcs, part, _Budget(60.0))
        assert exact is not None
        start = _start(arcs, part, relaxed, None)
        chosen, proven = _solve_mip(arcs, part, start, _Budget(60.0), slack)
        assert proven
        assert chosen.sum() == exact.sum()
        weight, best = arcs.weight[part][chosen].sum(), arcs.weight[part][exact].sum()
        assert best - slack * exact.sum() <= weight <= best
        _assert_legal(arcs, part[chosen])


def test_no_budget_leaves_the_part_to_cp_sat() -> None:
    arcs = GroupArcs(
        req=np.arange(3, dtype=np.int32),
        group=np.zeros(3, dtype=np.int64),
        mentor=np.zeros(3, dtype=np.int32),
        person=np.arange(3, dtype=np.int32),
        weight=np.ones(3, dtype=np.int64),
        cap=np.array([4]),
        need=np.array([4]),
    )
    assert _branch_and_bound(arcs, np.arange(3), _Budget(0.0)) == (None, False)
