"""Suggestions for hand matching use the solver's rules and score."""

from __future__ import annotations

import pytest

from matching import Assignment, ProblemError, solve, suggest
from tests.matching.factories import mentor, newcomer, problem


def test_best_first_with_scores_like_the_solver() -> None:
    mentors = [mentor("m1", languages=("da",)), mentor("m2", languages=("ar",)), mentor("m3")]
    p = problem(mentors)
    result = suggest(p, "n1", "mentor", limit=2)
    assert [c.mentor for c in result.candidates] == ["m2", "m1"]  # m1 and m3 tie: id order
    assert result.reason is None
    assert result.passed["capacity"] == 3
    best = solve(problem([mentors[1]]))
    assert result.candidates[0].score == best.matches[0].score
    assert result.candidates[0].components == best.matches[0].components


def test_no_candidates_gives_the_rule_and_counts() -> None:
    p = problem([mentor(languages=("en",))])
    result = suggest(p, "n1", "mentor")
    assert result.candidates == ()
    assert result.reason == "language"
    assert dict(result.passed) == {"programme": 1, "language": 0}


def test_mentors_full_after_fixed_are_removed_by_capacity() -> None:
    p = problem(fixed=(Assignment("x", "m1", "mentor"),))
    result = suggest(p, "n1", "mentor")
    assert result.reason == "capacity" and result.candidates == ()


def test_a_programme_the_newcomer_has_not_asked_for() -> None:
    p = problem([mentor(programmes=("leisure_guide",))])
    assert [c.mentor for c in suggest(p, "n1", "leisure_guide").candidates] == ["m1"]


def test_unknown_newcomer_or_programme() -> None:
    with pytest.raises(ProblemError):
        suggest(problem(), "nX", "mentor")
    with pytest.raises(ProblemError):
        suggest(problem(), "n1", "yoga")
    with pytest.raises(ProblemError):
        suggest(problem(newcomers=[newcomer(languages=())]), "n1", "mentor")
