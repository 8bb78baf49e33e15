"""An independent, scalar re-implementation of the contract, for checking the solver.

Written from shared/design/MATCHING.md in plain Python (math, no numpy, no matching internals
except the dataclasses and the municipality points): the rules pair by pair, the score, and a
brute-force enumeration of every legal matching of a tiny problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from matching import Household, Mentor, Newcomer, Problem, Programme, municipalities

R_KM = 6371.0088
RULE_NAMES = ("programme", "language", "distance", "gender", "child_safety", "forbidden",
              "capacity")  # fmt: skip


def point(person: Mentor | Newcomer) -> tuple[float, float]:
    if person.lat is not None and person.lon is not None:
        return person.lat, person.lon
    place = municipalities()[person.municipality]
    return place.lat, place.lon


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R_KM * math.asin(math.sqrt(min(1.0, h)))


def limit(problem: Problem, n: Newcomer, m: Mentor) -> float:
    default = problem.policy.default_max_distance_km
    a = default if n.max_distance_km is None else n.max_distance_km
    b = default if m.max_distance_km is None else m.max_distance_km
    return min(a, b)


def programme(problem: Problem, code: str) -> Programme:
    return next(p for p in problem.programmes if p.code == code)


def household_of(problem: Problem, n: Newcomer) -> Household | None:
    return next((h for h in problem.households if n.id in h.members), None)


def unit_of(problem: Problem, n: Newcomer) -> str:
    """Who the never-twice rule reads: the household (its id), or the newcomer alone."""
    h = household_of(problem, n)
    return n.id if h is None else f"household:{h.id}"


def by_id(problem: Problem) -> dict[str, Newcomer]:
    return {x.id: x for x in problem.newcomers}


def readers(problem: Problem, n: Newcomer, code: str) -> list[Newcomer]:
    """Whose data the rules read: a household request reads every member, others n alone."""
    h = household_of(problem, n)
    if programme(problem, code).unit != "household" or h is None or h.members[0] != n.id:
        return [n]
    people = by_id(problem)
    return [people[x] for x in h.members]


def is_household_request(problem: Problem, n: Newcomer, code: str) -> bool:
    h = household_of(problem, n)
    return programme(problem, code).unit == "household" and h is not None and h.members[0] == n.id


def adults(people: list[Newcomer]) -> list[Newcomer]:
    grown = [x for x in people if x.age is not None and x.age >= 18]
    return grown or people


def is_group(problem: Problem, code: str) -> bool:
    return programme(problem, code).unit == "group"


def fixed_load(problem: Problem, m: Mentor) -> int:
    """Places of m's capacity used by fixed matches (group places are separate)."""
    return sum(1 for a in problem.fixed if a.mentor == m.id and not is_group(problem, a.programme))


def group_fixed(problem: Problem, m: Mentor, code: str) -> list[str]:
    return [a.newcomer for a in problem.fixed if a.mentor == m.id and a.programme == code]


def already_mentor(problem: Problem, n: Newcomer, code: str, m: Mentor) -> bool:
    """Whether m is already n's mentor (fixed), household-wide: any member's fixed match,
    except that another member's fixed place in a group leaves a group request free."""
    h = household_of(problem, n)
    members = [n.id] if h is None else list(h.members)
    for a in problem.fixed:
        if a.mentor != m.id or a.newcomer not in members:
            continue
        if a.newcomer != n.id and is_group(problem, code) and is_group(problem, a.programme):
            continue
        return True
    return False


def rule_results(
    problem: Problem,
    n: Newcomer,
    code: str,
    m: Mentor,
    taken: frozenset[tuple[str, str]] = frozenset(),
) -> list[bool]:
    """Whether the pair passes each rule, in the contract's order (all evaluated). ``taken``:
    (unit, mentor) pairs the flow chose, forbidden for group requests."""
    p = programme(problem, code)
    people = readers(problem, n, code)
    in_bounds = True
    for bound, inside in ((p.min_age, lambda a, b: a >= b), (p.max_age, lambda a, b: a <= b)):
        for x in people:
            if bound is not None and (x.age is None or not inside(x.age, bound)):
                in_bounds = False
    lang = any(set(x.languages) & set(m.languages) for x in adults(people))
    if p.requires_language is not None and p.requires_language not in m.languages:
        lang = False
    if p.requires_first_language and n.languages[0] not in m.languages:
        lang = False
    d = haversine(point(n), point(m))
    gender = (n.mentor_gender is None or n.mentor_gender == m.gender) and (
        m.accepts_genders is None or all(x.gender in m.accepts_genders for x in adults(people))
    )
    below = problem.policy.child_certificate_below_age
    child = not any(x.age is None or x.age < below for x in people) or m.child_certificate
    ids = {x.id for x in people}
    forbidden = (
        any(f.newcomer in ids and f.mentor == m.id for f in problem.forbidden)
        or already_mentor(problem, n, code, m)
        or (is_group(problem, code) and (unit_of(problem, n), m.id) in taken)
    )
    if is_group(problem, code):
        places = (p.group_max or 0) - len(group_fixed(problem, m, code))
    else:
        places = m.capacity - fixed_load(problem, m)
    return [
        code in m.programmes and in_bounds,
        lang,
        d <= limit(problem, n, m) + 1e-9,
        gender,
        child,
        not forbidden,
        places > 0,
    ]


def legal(
    problem: Problem,
    n: Newcomer,
    code: str,
    m: Mentor,
    taken: frozenset[tuple[str, str]] = frozenset(),
) -> bool:
    return all(rule_results(problem, n, code, m, taken))


def funnel(
    problem: Problem, n: Newcomer, code: str, taken: frozenset[tuple[str, str]] = frozenset()
) -> tuple[str | None, dict[str, int]]:
    """Reason and passed counts over all mentors (reason None when candidates exist)."""
    passed: dict[str, int] = {}
    results = [rule_results(problem, n, code, m, taken) for m in problem.mentors]
    for k, name in enumerate(RULE_NAMES):
        passed[name] = sum(1 for r in results if all(r[: k + 1]))
        if passed[name] == 0:
            return name, passed
    return None, passed


@dataclass(frozen=True)
class Parts:
    language: float
    distance: float
    interests: float
    age: float


def components(problem: Problem, n: Newcomer, m: Mentor, code: str | None = None) -> Parts:
    """A household request: the contact's point, first language and age, all interests."""
    people = [n] if code is None else readers(problem, n, code)
    d = haversine(point(n), point(m))
    dmax = limit(problem, n, m)
    a, b = {i for x in people for i in x.interests}, set(m.interests)
    return Parts(
        language=1.0 if n.languages[0] in m.languages else 0.5,
        distance=1.0 if dmax == 0 else max(0.0, min(1.0, 1 - d / dmax)),
        interests=len(a & b) / len(a | b) if a | b else 0.0,
        age=0.5 if n.age is None or m.age is None else max(0.0, 1 - abs(m.age - n.age) / 40),
    )


def score(problem: Problem, n: Newcomer, m: Mentor, code: str | None = None) -> float:
    c, w = components(problem, n, m, code), problem.policy.weights
    return (w.language * c.language + w.distance * c.distance + w.interests * c.interests
            + w.age * c.age)  # fmt: skip


def weight(problem: Problem, n: Newcomer, code: str, m: Mentor) -> float:
    policy = problem.policy
    kept = any(
        a.newcomer == n.id and a.mentor == m.id and a.programme == code for a in problem.previous
    )
    waiting = max(x.waiting_days for x in readers(problem, n, code))
    return (
        score(problem, n, m, code)
        + policy.waiting_weight * min(1.0, waiting / 180)
        + (policy.keep_bonus if kept else 0.0)
    )


def best(problem: Problem) -> tuple[int, float]:
    """(most matches, best objective among those) of the person and household programmes,
    by enumerating every legal matching (never twice: per household, or newcomer alone)."""
    requests = [
        (n, code) for n in problem.newcomers for code in n.programmes if not is_group(problem, code)
    ]
    options = [
        [(m, weight(problem, n, code, m)) for m in problem.mentors if legal(problem, n, code, m)]
        for n, code in requests
    ]
    left = {m.id: m.capacity - fixed_load(problem, m) for m in problem.mentors}
    taken: set[tuple[str, str]] = set()
    top = (0, 0.0)

    def walk(i: int, count: int, total: float) -> None:
        nonlocal top
        if count + (len(requests) - i) < top[0]:
            return
        if i == len(requests):
            top = max(top, (count, total))
            return
        unit = unit_of(problem, requests[i][0])
        walk(i + 1, count, total)
        for m, w in options[i]:
            if left[m.id] > 0 and (unit, m.id) not in taken:
                left[m.id] -= 1
                taken.add((unit, m.id))
                walk(i + 1, count + 1, total + w)
                left[m.id] += 1
                taken.discard((unit, m.id))

    walk(0, 0, 0.0)
    return top


def best_groups(problem: Problem, taken: frozenset[tuple[str, str]]) -> tuple[int, float]:
    """(most participants, best weight among those) of the group programmes, given the
    (unit, mentor) pairs the flow chose, by enumerating every legal placement: one group
    per trainer per programme, inside group_max with the fixed ones, at least group_min
    without them, nobody with one trainer in two group programmes."""
    requests = [
        (n, code) for n in problem.newcomers for code in n.programmes if is_group(problem, code)
    ]
    options = [
        [
            (m, weight(problem, n, code, m))
            for m in problem.mentors
            if legal(problem, n, code, m, taken)
        ]
        for n, code in requests
    ]
    size: dict[tuple[str, str], int] = {}
    pairs: set[tuple[str, str]] = set()
    top = (0, 0.0)

    def valid() -> bool:
        for (mentor, code), k in size.items():
            p = programme(problem, code)
            fixed = sum(1 for a in problem.fixed if a.mentor == mentor and a.programme == code)
            if k and not fixed and k < (p.group_min or 0):
                return False
        return True

    def walk(i: int, count: int, total: float) -> None:
        nonlocal top
        if i == len(requests):
            if (count, total) > top and valid():
                top = (count, total)
            return
        n, code = requests[i]
        walk(i + 1, count, total)
        p = programme(problem, code)
        for m, w in options[i]:
            key = (m.id, code)
            fixed = len(group_fixed(problem, m, code))
            if size.get(key, 0) + fixed < (p.group_max or 0) and (n.id, m.id) not in pairs:
                size[key] = size.get(key, 0) + 1
                pairs.add((n.id, m.id))
                walk(i + 1, count + 1, total + w)
                size[key] -= 1
                pairs.discard((n.id, m.id))

    walk(0, 0, 0.0)
    return top
