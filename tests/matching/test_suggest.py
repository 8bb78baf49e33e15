"""Suggestions for hand matching use the solver's rules and score."""

from __future__ import annotations

from dataclasses import replace

import pytest

from matching import Assignment, Policy, ProblemError, mentor_pool, solve, suggest
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


def test_a_pool_gives_the_same_answer_for_its_own_and_other_mentors() -> None:
    mentors = [mentor("m1", languages=("da",)), mentor("m2", languages=("ar",)), mentor("m3")]
    pool = mentor_pool([*mentors, mentor("m4", languages=("fi",))], Policy())
    for some in ([mentors[0], mentors[1]], [replace(mentors[0], capacity=2), mentors[2]]):
        p = problem(some, fixed=(Assignment("x", some[0].id, "mentor"),))
        assert suggest(p, "n1", "mentor", pool=pool) == suggest(p, "n1", "mentor")


def test_a_pool_leaves_out_a_bad_mentor_and_the_problem_is_checked_as_ever() -> None:
    bad = mentor("m2", capacity=0)
    pool = mentor_pool([mentor("m1"), bad], Policy())
    assert not pool.holds(bad)
    with pytest.raises(ProblemError, match="at least 1"):
        suggest(problem([mentor("m1"), bad]), "n1", "mentor", pool=pool)


def test_a_pooled_mentors_programmes_are_checked_against_the_problem() -> None:
    yoga = mentor("m1", programmes=("yoga",))
    pool = mentor_pool([yoga], Policy())
    assert pool.holds(yoga)
    with pytest.raises(ProblemError, match="yoga"):
        suggest(problem([yoga]), "n1", "mentor", pool=pool)


def test_a_pool_of_another_policy_is_not_used() -> None:
    far = mentor("m1", municipality="751")  # Aarhus, from Copenhagen's newcomer
    pool = mentor_pool([far], Policy(default_max_distance_km=500))
    p = problem([far])
    assert suggest(p, "n1", "mentor", pool=pool) == suggest(p, "n1", "mentor")
    assert suggest(p, "n1", "mentor").reason == "distance"


def test_the_best_few_are_the_head_of_the_whole_ranking_ties_by_id() -> None:
    """With many equal scores around the cut, ``limit`` candidates are exactly the first
    of the full ranking (best first, equal scores in id order)."""
    ids = [f"m{i:02d}" for i in (7, 3, 11, 1, 9, 5, 12, 2, 8, 4, 10, 6)]
    mentors = [mentor(i, languages=("ar",) if i in {"m09", "m04"} else ("da",)) for i in ids]
    p = problem(mentors)
    everyone = suggest(p, "n1", "mentor", limit=len(ids))
    assert [c.mentor for c in everyone.candidates][:3] == ["m04", "m09", "m01"]
    for limit in range(len(ids) + 2):
        few = suggest(p, "n1", "mentor", limit=limit)
        assert few.candidates == everyone.candidates[:limit]
