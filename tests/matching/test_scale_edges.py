"""Edges of the vectorised code: many languages and interests (multi-word bitsets), huge
distances (a coarse spatial grid), empty problems."""

from __future__ import annotations

import pytest

from matching import Policy, solve
from tests.matching.factories import mentor, newcomer, problem

# 75 ISO 639-1 codes: more than one 64-bit word of language bits.
_WORDS = (
    "aa ab af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv "
    "cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi "
    "ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka"
)
CODES = tuple(_WORDS.split())


def test_more_than_64_languages_and_interests() -> None:
    assert len(CODES) > 64
    last = CODES[-1]
    interests = tuple(f"i{k}" for k in range(70))
    m = mentor(languages=(*CODES[:60], last), interests=interests[60:])
    n = newcomer(languages=(last, "da"), interests=interests[65:] + interests[:2])
    others = [mentor(f"x{k}", languages=(code,)) for k, code in enumerate(CODES[:50])]
    solution = solve(problem([m, *others], [n]))
    (match,) = solution.matches
    assert match.mentor == "m1"
    assert match.components.language == 1.0
    assert match.components.interests == pytest.approx(5 / 12)


def test_huge_distances_reach_around_the_world() -> None:
    far = mentor(lat=-33.9, lon=151.2, max_distance_km=20_000)
    near = newcomer(max_distance_km=20_000)
    solution = solve(problem([far], [near], policy=Policy(default_max_distance_km=20_000)))
    assert solution.stats.matched == 1
    assert 15_000 < solution.matches[0].distance_km < 17_000


def test_empty_sides() -> None:
    assert solve(problem([], [newcomer()])).unmatched[0].reason == "programme"
    assert solve(problem([mentor()], [])).stats.requests == 0
    assert solve(problem([mentor()], [newcomer(programmes=())])).stats.matched == 0
