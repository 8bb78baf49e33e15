"""Each score component and the objective, as the contract defines them."""

from __future__ import annotations

import pytest

from matching import Assignment, Policy, Weights, distance_km, municipalities, solve
from tests.matching.factories import mentor, newcomer, problem


def only_match(p: object):  # type: ignore[no-untyped-def]
    (match,) = solve(p).matches  # type: ignore[arg-type]
    return match


def test_language_component_first_language_or_half() -> None:
    assert only_match(problem([mentor(languages=("ar",))])).components.language == 1.0
    assert only_match(problem([mentor(languages=("da",))])).components.language == 0.5


def test_distance_component_is_one_minus_share_of_the_limit() -> None:
    a, b = municipalities()["101"], municipalities()["151"]
    d = distance_km((a.lat, a.lon), (b.lat, b.lon))
    match = only_match(problem([mentor(municipality="151", max_distance_km=20)]))
    assert match.distance_km == pytest.approx(d, abs=1e-9)
    assert match.components.distance == pytest.approx(1 - d / 20, abs=1e-12)


def test_distance_component_is_one_when_the_limit_is_zero() -> None:
    match = only_match(problem([mentor(max_distance_km=0)]))
    assert match.distance_km == 0.0
    assert match.components.distance == 1.0


@pytest.mark.parametrize(
    ("mine", "theirs", "expected"),
    [((), (), 0.0), (("chess",), (), 0.0), (("chess", "football"), ("chess", "music"), 1 / 3),
     (("chess",), ("chess",), 1.0)],
)  # fmt: skip
def test_interests_component_is_jaccard(
    mine: tuple[str, ...], theirs: tuple[str, ...], expected: float
) -> None:
    match = only_match(problem([mentor(interests=theirs)], [newcomer(interests=mine)]))
    assert match.components.interests == pytest.approx(expected)


@pytest.mark.parametrize(
    ("age_n", "age_m", "expected"),
    [(30, 30, 1.0), (30, 40, 0.75), (20, 60, 0.0), (20, 75, 0.0), (None, 40, 0.5),
     (30, None, 0.5)],
)  # fmt: skip
def test_age_component(age_n: int | None, age_m: int | None, expected: float) -> None:
    p = problem([mentor(age=age_m, child_certificate=True)], [newcomer(age=age_n)])
    assert only_match(p).components.age == pytest.approx(expected)


def test_score_is_the_weighted_sum_with_policy_weights() -> None:
    weights = Weights(language=0.4, distance=0.1, interests=0.1, age=0.4)
    p = problem(
        [mentor(languages=("ar",), interests=("chess",), age=50)],
        [newcomer(interests=("chess", "music"))],
        policy=Policy(weights=weights),
    )
    match = only_match(p)
    c = match.components
    assert (c.language, c.distance, c.interests, c.age) == (1.0, 1.0, 0.5, 0.5)
    assert match.score == pytest.approx(0.4 + 0.1 + 0.05 + 0.2)


def test_objective_adds_waiting_and_keep_bonus() -> None:
    p = problem(
        [mentor()],
        [newcomer(waiting_days=90)],
        previous=(Assignment("n1", "m1", "mentor"),),
    )
    solution = solve(p)
    match = solution.matches[0]
    assert match.kept
    assert solution.stats.objective == pytest.approx(match.score + 0.2 * 0.5 + 0.1)
    long_wait = solve(problem([mentor()], [newcomer(waiting_days=400)]))
    assert long_wait.stats.objective == pytest.approx(long_wait.matches[0].score + 0.2)


def test_keep_bonus_needs_the_same_programme() -> None:
    p = problem(previous=(Assignment("n1", "m1", "leisure_guide"),))
    assert not only_match(p).kept


def test_longer_waiting_wins_a_contested_mentor() -> None:
    p = problem([mentor()], [newcomer("a", waiting_days=10), newcomer("b", waiting_days=100)])
    assert only_match(p).newcomer == "b"


def test_yesterdays_proposal_is_kept_on_a_tie() -> None:
    mentors = [mentor("m1"), mentor("m2")]
    p = problem(mentors, previous=(Assignment("n1", "m2", "mentor"),))
    assert only_match(p).mentor == "m2"


def test_match_count_comes_before_score() -> None:
    # n1 scores higher with m1, but only m1 can take n2: the maximal count needs n1 -> m2.
    m1 = mentor("m1", languages=("ar", "ti"), interests=("chess",))
    m2 = mentor("m2", languages=("da",))
    n1 = newcomer("n1", interests=("chess",))
    n2 = newcomer("n2", languages=("ti",))
    solution = solve(problem([m1, m2], [n1, n2]))
    assert {(m.newcomer, m.mentor) for m in solution.matches} == {("n1", "m2"), ("n2", "m1")}
