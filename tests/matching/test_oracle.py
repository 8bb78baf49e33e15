"""Optimality and legality against a brute-force oracle on tiny random problems."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import (
    DEFAULT_PROGRAMMES,
    Assignment,
    ForbiddenPair,
    Household,
    Mentor,
    Newcomer,
    Policy,
    Problem,
    Programme,
    Solution,
    mentor_pool,
    solve,
    suggest,
)
from tests.matching import oracle

PLACES = ("101", "101", "101", "147", "151", "153", "157", "159", "751")
MENTOR_PROGRAMMES = (
    ("mentor",),
    ("mentor", "lets_network", "network_family"),
    ("mentor", "language_buddy", "mindspring"),
    ("mentor", "lets_network", "language_buddy"),
    ("lets_network", "mindspring", "food_club"),
    ("network_family", "food_club"),
    ("network_family", "food_club", "mentor"),
    ("food_club", "mindspring"),
)
WISHES = (None, None, None, None, None, "female", "male", "other")
NEWCOMER_PROGRAMMES = (
    ("mentor",),
    ("mentor", "lets_network"),
    ("mentor", "language_buddy"),
    ("language_buddy",),
    ("mentor", "mindspring"),
    ("lets_network",),
    ("network_family",),
    ("network_family", "mentor"),
    ("mindspring", "food_club"),
    ("food_club",),
    ("food_club",),
    ("food_club", "network_family"),
    ("mindspring",),
    (),
)
#: Pools of half the problems: households and groups in focus.
FOCUS_MENTOR_PROGRAMMES = (
    ("food_club", "network_family"),
    ("mindspring", "food_club"),
    ("network_family", "mentor", "food_club"),
)
FOCUS_NEWCOMER_PROGRAMMES = (
    ("food_club",),
    ("network_family", "food_club"),
    ("mindspring",),
    ("food_club", "mentor"),
    ("network_family",),
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
def mentors(draw: st.DrawFn, i: int, focus: bool = False) -> Mentor:
    point = draw(own_point)
    accepts = draw(st.sampled_from((None,) * 6 + ((), ("female",), ("male", "other"))))
    return Mentor(
        id=f"m{i}",
        languages=draw(mentor_languages),
        municipality=draw(st.sampled_from(PLACES)),
        programmes=draw(st.sampled_from(FOCUS_MENTOR_PROGRAMMES if focus else MENTOR_PROGRAMMES)),
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
def newcomers(draw: st.DrawFn, i: int, focus: bool = False) -> Newcomer:
    point = draw(own_point)
    return Newcomer(
        id=f"n{i}",
        languages=draw(newcomer_languages),
        municipality=draw(st.sampled_from(PLACES)),
        programmes=draw(
            st.sampled_from(FOCUS_NEWCOMER_PROGRAMMES if focus else NEWCOMER_PROGRAMMES)
        ),
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
def programmes(draw: st.DrawFn) -> tuple[Programme, ...]:
    """The default programmes with small groups (sizes 2-4) and a second group programme."""
    low = draw(st.integers(2, 4))
    mindspring = Programme(
        "mindspring", requires_first_language=True, unit="group", group_min=low,
        group_max=draw(st.integers(low, 4)),
    )  # fmt: skip
    food_low = draw(st.integers(1, 3))
    food = Programme("food_club", unit="group", group_min=food_low,
                     group_max=draw(st.integers(food_low, 3)))  # fmt: skip
    kept = tuple(p for p in DEFAULT_PROGRAMMES if p.code != "mindspring")
    return (*kept, mindspring, food)


@st.composite
def households(draw: st.DrawFn, ns: list[Newcomer]) -> tuple[list[Newcomer], tuple[Household, ...]]:
    """Up to 3 households of 1-3 members among ``ns``; only a contact person keeps
    network_family among their programmes."""
    order = draw(st.permutations(range(len(ns))))
    out: list[Household] = []
    at = 0
    for k in range(draw(st.integers(0, 3))):
        size = draw(st.integers(1, 3))
        members = [ns[i].id for i in order[at : at + size]]
        if not members:
            break
        out.append(Household(f"h{k}", tuple(members)))
        at += size
    contacts = {h.members[0] for h in out}
    members = {x for h in out for x in h.members}
    fixed = [
        n if n.id in contacts or n.id not in members
        else replace(n, programmes=tuple(c for c in n.programmes if c != "network_family"))
        for n in ns
    ]  # fmt: skip
    return fixed, tuple(out)


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    focus = draw(st.booleans())
    ms = [draw(mentors(i, focus)) for i in range(draw(st.integers(2, 5)))]
    ns: list[Newcomer] = []
    target = draw(st.integers(2, 6))
    while len(ns) < target:
        candidate = draw(newcomers(len(ns), focus))
        if sum(len(n.programmes) for n in ns) + len(candidate.programmes) > 7:
            break
        ns.append(candidate)
    ns, homes = draw(households(ns))
    fixed: list[Assignment] = []
    for m in ms:
        if draw(st.integers(0, 3)) == 0:
            fixed.append(Assignment(draw(st.sampled_from([*(n.id for n in ns), "x"])), m.id,
                                    m.programmes[0]))  # fmt: skip
    previous = [
        Assignment(n.id, draw(st.sampled_from(ms)).id, draw(st.sampled_from(n.programmes)))
        for n in ns
        if n.programmes and draw(st.booleans())
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
        programmes=draw(programmes()),
        households=homes,
    )


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def taken_by_flow(problem: Problem, solution: Solution) -> frozenset[tuple[str, str]]:
    """(unit, mentor) of the person and household matches: forbidden for the groups."""
    newcomers = {n.id: n for n in problem.newcomers}
    return frozenset(
        (oracle.unit_of(problem, newcomers[m.newcomer]), m.mentor)
        for m in solution.matches
        if not oracle.is_group(problem, m.programme)
    )


@SETTINGS
@given(problems())
def test_solver_matches_the_brute_force_optimum(problem: Problem) -> None:
    solution = solve(problem)
    newcomers = {n.id: n for n in problem.newcomers}
    mentors = {m.id: m for m in problem.mentors}
    previous = {(a.newcomer, a.mentor, a.programme) for a in problem.previous}
    taken = taken_by_flow(problem, solution)
    # Each stage against its brute-force optimum; the groups given the flow's pairs. The
    # objective is recomputed from the oracle's own weights, not the solver's report.
    for stage, (count, objective) in (
        (False, oracle.best(problem)),
        (True, oracle.best_groups(problem, taken)),
    ):
        matches = [m for m in solution.matches if oracle.is_group(problem, m.programme) == stage]
        achieved = sum(
            oracle.weight(problem, newcomers[m.newcomer], m.programme, mentors[m.mentor])
            for m in matches
        )
        assert len(matches) == count, stage
        assert abs(achieved - objective) <= 0.001 * max(1, count), stage
    total = sum(
        oracle.weight(problem, newcomers[m.newcomer], m.programme, mentors[m.mentor])
        for m in solution.matches
    )
    assert len(solution.matches) == solution.stats.matched
    assert abs(solution.stats.objective - total) <= 1e-9 * max(1, len(solution.matches))
    assert all(
        m.kept == ((m.newcomer, m.mentor, m.programme) in previous) for m in solution.matches
    )
    assert solution.stats.optimal and solution.stats.gap == 0.0


@SETTINGS
@given(problems())
def test_every_match_is_legal_and_scored_by_the_contract(problem: Problem) -> None:
    solution = solve(problem)
    newcomers = {n.id: n for n in problem.newcomers}
    mentors = {m.id: m for m in problem.mentors}
    taken = taken_by_flow(problem, solution)
    load = Counter(a.mentor for a in problem.fixed if not oracle.is_group(problem, a.programme))
    units: Counter[tuple[str, str]] = Counter()
    group_pairs: Counter[tuple[str, str]] = Counter()
    placed: dict[tuple[str, str], set[str]] = {}
    for match in solution.matches:
        n, m, code = newcomers[match.newcomer], mentors[match.mentor], match.programme
        group = oracle.is_group(problem, code)
        # Legal for every member the request reads (rule_results reads them all).
        assert oracle.legal(problem, n, code, m, taken if group else frozenset())
        parts = oracle.components(problem, n, m, code)
        assert abs(match.components.language - parts.language) < 1e-9
        assert abs(match.components.distance - parts.distance) < 1e-9
        assert abs(match.components.interests - parts.interests) < 1e-9
        assert abs(match.components.age - parts.age) < 1e-9
        assert abs(match.score - oracle.score(problem, n, m, code)) < 1e-9
        household = oracle.household_of(problem, n)
        expected = household.id if oracle.is_household_request(problem, n, code) else None
        assert match.household == (expected if household is not None else None)
        if group:
            group_pairs[(n.id, m.id)] += 1
            placed.setdefault((code, m.id), set()).add(n.id)
        else:
            load[m.id] += 1
            units[(oracle.unit_of(problem, n), m.id)] += 1
    assert all(load[m.id] <= m.capacity for m in problem.mentors)
    # Never twice: household-wide in the flow, per newcomer among the groups.
    assert all(count == 1 for count in units.values())
    assert all(count == 1 for count in group_pairs.values())
    requests = Counter((m.newcomer, m.programme) for m in solution.matches)
    assert all(count == 1 for count in requests.values())
    # Every group inside its bounds, made of its fixed and its placed participants.
    shown = {(g.programme, g.mentor): g for g in solution.groups}
    assert len(shown) == len(solution.groups)
    assert list(solution.groups) == sorted(solution.groups, key=lambda g: (g.programme, g.mentor))
    for code, mentor in set(placed) | {
        (a.programme, a.mentor) for a in problem.fixed if oracle.is_group(problem, a.programme)
    }:
        p = oracle.programme(problem, code)
        fixed = oracle.group_fixed(problem, mentors[mentor], code)
        group = shown.pop((code, mentor))
        assert group.members == tuple(sorted([*fixed, *placed.get((code, mentor), ())]))
        assert len(group.members) <= (p.group_max or 0)
        assert fixed or len(group.members) >= (p.group_min or 0)
    assert not shown


@SETTINGS
@given(problems())
def test_unmatched_reasons_and_counts_follow_the_rules(problem: Problem) -> None:
    solution = solve(problem)
    newcomers = {n.id: n for n in problem.newcomers}
    taken = taken_by_flow(problem, solution)
    groups = {(g.programme, g.mentor) for g in solution.groups}
    matched = {(m.newcomer, m.programme) for m in solution.matches}
    unmatched = {(u.newcomer, u.programme): u for u in solution.unmatched}
    requests = {(n.id, code) for n in problem.newcomers for code in n.programmes}
    assert matched | set(unmatched) == requests and not matched & set(unmatched)
    for (newcomer, code), item in unmatched.items():
        n = newcomers[newcomer]
        group = oracle.is_group(problem, code)
        reason, passed = oracle.funnel(problem, n, code, taken if group else frozenset())
        shortfall = None
        if reason is None and group:
            trainers = [m for m in problem.mentors if oracle.legal(problem, n, code, m, taken)]
            running = [m for m in trainers if (code, m.id) in groups]
            passed["group_size"] = len(running)
            if not running:
                reason = "group_size"
                waiting = max(
                    len(oracle.group_fixed(problem, m, code))
                    + sum(
                        1
                        for other in problem.newcomers
                        if code in other.programmes and oracle.legal(problem, other, code, m, taken)
                    )
                    for m in trainers
                )
                shortfall = (waiting, oracle.programme(problem, code).group_min)
        assert item.reason == (reason or "capacity")
        assert dict(item.passed) == passed
        got = None if item.group is None else (item.group.waiting, item.group.group_min)
        assert got == shortfall
        # suggest() takes another path through the same rules: it must agree.
        assert dict(suggest(problem, newcomer, code).passed) == oracle.funnel(problem, n, code)[1]


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
    other = replace(
        other,
        households=tuple(shuffled(problem.households)),  # type: ignore[arg-type]
        fixed=tuple(shuffled(problem.fixed)),  # type: ignore[arg-type]
        forbidden=tuple(shuffled(problem.forbidden)),  # type: ignore[arg-type]
    )
    a, b = solve(problem), solve(other)
    assert a.stats.objective == b.stats.objective
    assert a.matches == b.matches and a.unmatched == b.unmatched and a.groups == b.groups


@settings(max_examples=60, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_suggest_with_a_pool_gives_the_same_answer(problem: Problem, rnd: random.Random) -> None:
    # The pool holds more mentors than the problem, speaking and liking other things; the
    # problem keeps some of the pool's objects, copies of others (checked and converted
    # afresh) and one mentor the pool never saw.
    stranger = Mentor(
        "m_stranger", ("fi", "ja"), "751", ("mentor", "food_club"), interests=("go", "chess")
    )
    pool = mentor_pool([*problem.mentors, stranger], problem.policy)
    kept = [m if rnd.random() < 0.6 else replace(m) for m in problem.mentors if rnd.random() < 0.8]
    unseen = Mentor("m_unseen", ("so", "da"), "147", ("mentor",), interests=("kite",))
    mentors = tuple(rnd.sample([*kept, unseen], len(kept) + 1))
    fixed = tuple(a for a in problem.fixed if a.mentor in {m.id for m in mentors})
    previous = tuple(a for a in problem.previous if a.mentor in {m.id for m in mentors})
    forbidden = tuple(f for f in problem.forbidden if f.mentor in {m.id for m in mentors})
    sub = replace(problem, mentors=mentors, fixed=fixed, previous=previous, forbidden=forbidden)
    for n in sub.newcomers:
        for p in sub.programmes:
            assert suggest(sub, n.id, p.code, 10, pool=pool) == suggest(sub, n.id, p.code, 10)
