"""Groups: the minimum, the maximum, fixed participants, never twice, group_size reasons."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from matching import (
    Assignment,
    Group,
    GroupShortfall,
    Household,
    Problem,
    Programme,
    solve,
    validate,
)
from matching._index import build_index
from matching.candidates import candidate_arcs
from tests.matching.factories import mentor, newcomer

CLUB = Programme("food_club", unit="group", group_min=3, group_max=4)
CAFE = Programme("homework_cafe", unit="group", group_min=2, group_max=3)
FAMILY = Programme("network_family", unit="household")
PROGRAMMES = (Programme("mentor"), FAMILY, CLUB, CAFE)


def club(size: int, *, trainers: int = 1, **fields: Any) -> Problem:
    """``size`` newcomers asking for food_club, ``trainers`` trainers of capacity 1."""
    fields.setdefault("programmes", PROGRAMMES)
    return Problem(
        mentors=tuple(
            mentor(f"t{i}", programmes=("food_club", "homework_cafe", "mentor", "network_family"))
            for i in range(trainers)
        ),
        newcomers=tuple(newcomer(f"n{i}", programmes=("food_club",)) for i in range(size)),
        **fields,
    )


def test_below_the_minimum_no_group_runs_and_the_reason_is_group_size() -> None:
    solution = solve(club(2))
    assert solution.matches == () and solution.groups == ()
    for item in solution.unmatched:
        assert item.reason == "group_size"
        assert item.group == GroupShortfall(waiting=2, group_min=3)
        assert dict(item.passed) == {
            "programme": 1, "language": 1, "distance": 1, "gender": 1, "child_safety": 1,
            "forbidden": 1, "capacity": 1, "group_size": 0}  # fmt: skip


def test_at_the_minimum_the_group_runs_beside_the_trainers_capacity() -> None:
    solution = solve(club(3))
    assert solution.groups == (Group("food_club", "t0", ("n0", "n1", "n2")),)
    assert [(m.newcomer, m.mentor, m.household) for m in solution.matches] == [
        ("n0", "t0", None), ("n1", "t0", None), ("n2", "t0", None)]  # fmt: skip
    assert solution.unmatched == () and solution.stats.optimal


def test_at_most_group_max_the_rest_waits_for_capacity() -> None:
    solution = solve(club(6))
    (group,) = solution.groups
    assert len(group.members) == 4 and len(solution.matches) == 4
    assert [u.reason for u in solution.unmatched] == ["capacity", "capacity"]
    assert all(u.passed["group_size"] == 1 and u.group is None for u in solution.unmatched)


def test_two_trainers_split_seven_into_groups_of_three_and_four() -> None:
    solution = solve(club(7, trainers=2))
    assert sorted(len(g.members) for g in solution.groups) == [3, 4]
    assert solution.stats.matched == 7 and solution.stats.optimal


def test_fixed_participants_run_a_group_without_the_minimum_and_it_is_filled() -> None:
    fixed = (Assignment("old1", "t0", "food_club"), Assignment("old2", "t0", "food_club"))
    solution = solve(club(1, fixed=fixed))
    assert solution.groups == (Group("food_club", "t0", ("n0", "old1", "old2")),)
    full = solve(club(3, fixed=fixed))
    (group,) = full.groups
    assert len(group.members) == 4 and full.stats.matched == 2
    # A group with fixed participants only is still shown: it runs.
    alone = solve(club(0, fixed=fixed))
    assert alone.groups == (Group("food_club", "t0", ("old1", "old2")),)


def test_a_newcomer_never_gets_one_trainer_in_two_group_programmes() -> None:
    base = club(3)
    both = replace(base.newcomers[0], programmes=("food_club", "homework_cafe"))
    other = newcomer("x1", programmes=("homework_cafe",))
    p = replace(base, newcomers=(both, *base.newcomers[1:], other))
    solution = solve(p)
    pairs = [(m.newcomer, m.mentor) for m in solution.matches]
    assert len(pairs) == len(set(pairs))
    assert {g.programme for g in solution.groups} == {"food_club"}
    cafe = {u.newcomer: u for u in solution.unmatched if u.programme == "homework_cafe"}
    # t0 is already n0's trainer in food_club: with x1 alone, no cafe group reaches 2.
    assert cafe["n0"].reason == cafe["x1"].reason == "group_size"
    assert cafe["x1"].group == GroupShortfall(waiting=2, group_min=2)


def test_a_flow_match_forbids_the_trainer_for_the_households_group_requests() -> None:
    p = club(3, households=(Household("h1", ("n0", "k1")),))
    p = replace(
        p,
        newcomers=(
            replace(p.newcomers[0], programmes=("network_family", "food_club")),
            *p.newcomers[1:],
            newcomer("k1", programmes=("food_club",), age=40),
        ),
    )
    solution = solve(p)
    assert [(m.programme, m.household) for m in solution.matches if m.household] == [
        ("network_family", "h1")]  # fmt: skip
    reasons = {u.newcomer: u.reason for u in solution.unmatched}
    # n0 and k1 may not have t0 again; without them the group falls below its minimum.
    assert reasons == {"n0": "forbidden", "k1": "forbidden", "n1": "group_size", "n2": "group_size"}


def test_two_members_of_one_household_may_join_one_group() -> None:
    p = club(3, households=(Household("h1", ("n0", "n1")),))
    assert solve(p).groups == (Group("food_club", "t0", ("n0", "n1", "n2")),)


def test_a_time_limit_reports_not_optimal_with_a_gap() -> None:
    """Many trainers and participants whose relaxation breaks the minimum everywhere; no
    deterministic time at all leaves the proof undone."""
    programmes = (Programme("food_club", unit="group", group_min=5, group_max=6),)
    trainers = tuple(mentor(f"t{i:02d}", programmes=("food_club",)) for i in range(12))
    people = tuple(newcomer(f"n{i:02d}", programmes=("food_club",)) for i in range(40))
    p = Problem(mentors=trainers, newcomers=people, programmes=programmes)
    exact = solve(p)
    assert exact.stats.optimal and exact.stats.gap == 0.0 and exact.stats.matched == 40
    rushed = solve(p, group_time_limit=0.0)  # deterministic time: the same stop every run
    assert rushed.stats.optimal is False and 0.0 < rushed.stats.gap < 1.0
    again = solve(p, group_time_limit=0.0)
    assert (again.matches, again.groups, again.stats.gap) == (
        rushed.matches,
        rushed.groups,
        rushed.stats.gap,
    )
    for group in rushed.groups:
        assert 5 <= len(group.members) <= 6


def test_the_group_programmes_arcs_come_after_the_flows() -> None:
    """The flow reads the arcs before ``grouped`` (a prefix, not a copy): exactly those of
    the programmes that are not group programmes, whatever the programmes' order."""
    problem = replace(
        club(4, trainers=2),
        programmes=(CLUB, Programme("mentor"), CAFE, FAMILY),
        newcomers=(
            newcomer("n0", programmes=("food_club", "mentor")),
            newcomer("n1", programmes=("homework_cafe", "mentor")),
            newcomer("n2", programmes=("mentor", "food_club")),
        ),
    )
    validate(problem)
    index = build_index(problem)
    arcs = candidate_arcs(index)
    in_group = index.prog_group[index.req_programme[arcs.req]]
    assert 0 < arcs.grouped < len(arcs.req)
    assert not in_group[: arcs.grouped].any() and in_group[arcs.grouped :].all()
