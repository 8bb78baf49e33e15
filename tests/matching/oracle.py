"""An independent, scalar re-implementation of the contract, for checking the solver.

Written from shared/design/MATCHING.md in plain Python (math, no numpy, no matching internals
except the dataclasses and the municipality points): the rules pair by pair, the score, and a
brute-force enumeration of every legal matching of a tiny problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from matching import Mentor, Newcomer, Problem, Programme, municipalities

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


def fixed_load(problem: Problem, m: Mentor) -> int:
    return sum(1 for a in problem.fixed if a.mentor == m.id)


def rule_results(problem: Problem, n: Newcomer, code: str, m: Mentor) -> list[bool]:
    """Whether the pair passes each rule, in the contract's order (all evaluated)."""
    p = programme(problem, code)
    in_bounds = True
    for bound, inside in ((p.min_age, lambda a, b: a >= b), (p.max_age, lambda a, b: a <= b)):
        if bound is not None and (n.age is None or not inside(n.age, bound)):
            in_bounds = False
    lang = bool(set(n.languages) & set(m.languages))
    if p.requires_language is not None and p.requires_language not in m.languages:
        lang = False
    if p.requires_first_language and n.languages[0] not in m.languages:
        lang = False
    d = haversine(point(n), point(m))
    gender = (n.mentor_gender is None or n.mentor_gender == m.gender) and (
        m.accepts_genders is None or n.gender in m.accepts_genders
    )
    child = (
        not (n.age is None or n.age < problem.policy.child_certificate_below_age)
        or m.child_certificate
    )
    forbidden = any(f.newcomer == n.id and f.mentor == m.id for f in problem.forbidden) or any(
        a.newcomer == n.id and a.mentor == m.id for a in problem.fixed
    )
    return [
        code in m.programmes and in_bounds,
        lang,
        d <= limit(problem, n, m) + 1e-9,
        gender,
        child,
        not forbidden,
        m.capacity - fixed_load(problem, m) > 0,
    ]


def legal(problem: Problem, n: Newcomer, code: str, m: Mentor) -> bool:
    return all(rule_results(problem, n, code, m))


def funnel(problem: Problem, n: Newcomer, code: str) -> tuple[str | None, dict[str, int]]:
    """Reason and passed counts over all mentors (reason None when candidates exist)."""
    passed: dict[str, int] = {}
    results = [rule_results(problem, n, code, m) for m in problem.mentors]
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


def components(problem: Problem, n: Newcomer, m: Mentor) -> Parts:
    d = haversine(point(n), point(m))
    dmax = limit(problem, n, m)
    a, b = set(n.interests), set(m.interests)
    return Parts(
        language=1.0 if n.languages[0] in m.languages else 0.5,
        distance=1.0 if dmax == 0 else max(0.0, min(1.0, 1 - d / dmax)),
        interests=len(a & b) / len(a | b) if a | b else 0.0,
        age=0.5 if n.age is None or m.age is None else max(0.0, 1 - abs(m.age - n.age) / 40),
    )


def score(problem: Problem, n: Newcomer, m: Mentor) -> float:
    c, w = components(problem, n, m), problem.policy.weights
    return (w.language * c.language + w.distance * c.distance + w.interests * c.interests
            + w.age * c.age)  # fmt: skip


def weight(problem: Problem, n: Newcomer, code: str, m: Mentor) -> float:
    policy = problem.policy
    kept = any(
        a.newcomer == n.id and a.mentor == m.id and a.programme == code for a in problem.previous
    )
    return (
        score(problem, n, m)
        + policy.waiting_weight * min(1.0, n.waiting_days / 180)
        + (policy.keep_bonus if kept else 0.0)
    )


def best(problem: Problem) -> tuple[int, float]:
    """(most matches, best objective among those) by enumerating every legal matching."""
    requests = [(n, code) for n in problem.newcomers for code in n.programmes]
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
        n = requests[i][0]
        walk(i + 1, count, total)
        for m, w in options[i]:
            if left[m.id] > 0 and (n.id, m.id) not in taken:
                left[m.id] -= 1
                taken.add((n.id, m.id))
                walk(i + 1, count + 1, total + w)
                left[m.id] += 1
                taken.discard((n.id, m.id))

    walk(0, 0, 0.0)
    return top
