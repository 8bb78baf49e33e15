"""Optimality and legality against a brute-force oracle on tiny random problems."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import (
    Assignment,
    ForbiddenPair,
    Mentor,
    Newcomer,
    Policy,
    Problem,
    solve,
    suggest,
)
from tests.matching import oracle

PLACES = ("101", "101", "101", "147", "151", "153", "157", "159", "751")
MENTOR_PROGRAMMES = (
    ("mentor",),
    ("mentor", "lets_network"),
    ("mentor", "language_buddy", "mindspring"),
    ("mentor", "lets_network", "language_buddy"),
    ("lets_network", "mindspring"),
)
WISHES = (None, None, None, None, None, "female", "male", "other")
NEWCOMER_PROGRAMMES = (
    ("mentor",),
    ("mentor", "lets_network"),
    ("mentor", "language_buddy"),
    ("language_buddy",),
    ("mentor", "mindspring"),
    ("lets_network",),
)
AGES = (30, 24, 25, 40, 15, 14, None, 10, 70)
GENDERS = (None, "female", "male", "other")
INTERESTS = ("football", "chess", "music", "cooking")

newcomer_languages = st.sampled_from(
    (("ar", "en"), ("da",), ("ti", "da"), ("ar",), ("en", "ar", "ti"), ("ti",), ("da", "en"))
)
mentor_languages = st.sampled_from(
    (("da",), ("da", "en"), ("da", "en"), ("da", "ar"), ("ar", "en"), ("ti", "da"), ("en",))
)
interests = st.lists(st.sampled_from(INTERESTS), max_size=3, unique=True).map(tuple)
distance = st.sampled_from((None, None, None, None, None, None, 30.0, 10.0, 0.0))
own_point = st.one_of(st.none(), st.tuples(st.floats(55.6, 55.8), st.floats(12.3, 12.6)))


@st.composite
def mentors(draw: st.DrawFn, i: int) -> Mentor:
    point = draw(own_point)
    accepts = draw(st.sampled_from((None,) * 6 + ((), ("female",), ("male", "other"))))
    return Mentor(
        id=f"m{i}",
        languages=draw(mentor_languages),
        municipality=draw(st.sampled_from(PLACES)),
        programmes=draw(st.sampled_from(MENTOR_PROGRAMMES)),
        capacity=draw(st.integers(1, 3)),
        lat=None if point is None else point[0],
        lon=None if point is None else point[1],
        max_distance_km=draw(distance),
        interests=draw(interests),
        gender=draw(st.sampled_from(GENDERS)),
        age=draw(st.sampled_from(AGES)),
        accepts_genders=accepts,
        child_certificate=draw(st.sampled_from((True, True, False))),
    )


@st.composite
def newcomers(draw: st.DrawFn, i: int) -> Newcomer:
    point = draw(own_point)
    return Newcomer(
        id=f"n{i}",
        languages=draw(newcomer_languages),
        municipality=draw(st.sampled_from(PLACES)),
        programmes=draw(st.sampled_from(NEWCOMER_PROGRAMMES)),
        lat=None if point is None else point[0],
        lon=None if point is None else point[1],
        max_distance_km=draw(distance),
        age=draw(st.sampled_from(AGES)),
        gender=draw(st.sampled_from(GENDERS[1:3] * 3 + GENDERS)),
        interests=draw(interests),
        mentor_gender=draw(st.sampled_from(WISHES)),
        waiting_days=draw(st.integers(0, 400)),
    )


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    ms = [draw(mentors(i)) for i in range(draw(st.integers(2, 5)))]
    ns: list[Newcomer] = []
    target = draw(st.integers(2, 5))
    while len(ns) < target:
        candidate = draw(newcomers(len(ns)))
        if sum(len(n.programmes) for n in ns) + len(candidate.programmes) > 7:
            break
        ns.append(candidate)
    fixed: list[Assignment] = []
    for m in ms:
        if draw(st.integers(0, 3)) == 0:
            fixed.append(Assignment(draw(st.sampled_from([*(n.id for n in ns), "x"])), m.id,
                                    m.programmes[0]))  # fmt: skip
    previous = [
        Assignment(n.id, draw(st.sampled_from(ms)).id, draw(st.sampled_from(n.programmes)))
        for n in ns
        if draw(st.booleans())
    ]
    forbidden = [
        ForbiddenPair(n.id, draw(st.sampled_from(ms)).id)
        for n in ns
        if draw(st.integers(0, 3)) == 0
    ]
    policy = Policy(
        waiting_weight=draw(st.sampled_from((0.0, 0.2, 1.0))),
        keep_bonus=draw(st.sampled_from((0.0, 0.1, 0.5))),
    )
    return Problem(
        mentors=tuple(ms),
        newcomers=tuple(ns),
        policy=policy,
        fixed=tuple(fixed),
        previous=tuple(previous),
        forbidden=tuple(forbidden),
    )


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problems())
def test_solver_matches_the_brute_force_optimum(problem: Problem) -> None:
    solution = solve(problem)
    count, objective = oracle.best(problem)
    newcomers = {n.id: n for n in problem.newcomers}
    mentors = {m.id: m for m in problem.mentors}
    previous = {(a.newcomer, a.mentor, a.programme) for a in problem.previous}
    # The objective is recomputed from the oracle's own weights, not the solver's report.
    achieved = sum(
        oracle.weight(problem, newcomers[m.newcomer], m.programme, mentors[m.mentor])
        for m in solution.matches
    )
    assert len(solution.matches) == solution.stats.matched == count
    assert abs(achieved - objective) <= 0.001 * max(1, count)
    assert abs(solution.stats.objective - achieved) <= 1e-9 * max(1, count)
    assert all(
        m.kept == ((m.newcomer, m.mentor, m.programme) in previous) for m in solution.matches
    )
    assert solution.stats.optimal


@SETTINGS
@given(problems())
def test_every_match_is_legal_and_scored_by_the_contract(problem: Problem) -> None:
    solution = solve(problem)
    newcomers = {n.id: n for n in problem.newcomers}
    mentors = {m.id: m for m in problem.mentors}
    load = Counter(a.mentor for a in problem.fixed)
    pairs = Counter((m.newcomer, m.mentor) for m in solution.matches)
    for match in solution.matches:
        n, m = newcomers[match.newcomer], mentors[match.mentor]
        assert oracle.legal(problem, n, match.programme, m)
        parts = oracle.components(problem, n, m)
        assert abs(match.components.language - parts.language) < 1e-9
        assert abs(match.components.distance - parts.distance) < 1e-9
        assert abs(match.components.interests - parts.interests) < 1e-9
        assert abs(match.components.age - parts.age) < 1e-9
        assert abs(match.score - oracle.score(problem, n, m)) < 1e-9
        load[m.id] += 1
    assert all(load[m.id] <= m.capacity for m in problem.mentors)
    assert all(count == 1 for count in pairs.values())
    requests = Counter((m.newcomer, m.programme) for m in solution.matches)
    assert all(count == 1 for count in requests.values())


@SETTINGS
@given(problems())
def test_unmatched_reasons_and_counts_follow_the_rules(problem: Problem) -> None:
    solution = solve(problem)
    newcomers = {n.id: n for n in problem.newcomers}
    matched = {(m.newcomer, m.programme) for m in solution.matches}
    unmatched = {(u.newcomer, u.programme): u for u in solution.unmatched}
    requests = {(n.id, code) for n in problem.newcomers for code in n.programmes}
    assert matched | set(unmatched) == requests and not matched & set(unmatched)
    for (newcomer, code), item in unmatched.items():
        reason, passed = oracle.funnel(problem, newcomers[newcomer], code)
        assert item.reason == (reason or "capacity")
        assert dict(item.passed) == passed
        # suggest() takes another path through the same rules: it must agree.
        assert dict(suggest(problem, newcomer, code).passed) == passed


@settings(max_examples=60, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_shuffled_input_gives_the_same_solution(problem: Problem, rnd: random.Random) -> None:
    def shuffled(items: tuple[object, ...]) -> tuple[object, ...]:
        out = list(items)
        rnd.shuffle(out)
        return tuple(out)

    other = replace(
        problem,
        mentors=shuffled(problem.mentors),  # type: ignore[arg-type]
        newcomers=shuffled(problem.newcomers),  # type: ignore[arg-type]
        previous=shuffled(problem.previous),  # type: ignore[arg-type]
    )
    a, b = solve(problem), solve(other)
    assert a.stats.objective == b.stats.objective
    assert a.matches == b.matches and a.unmatched == b.unmatched
