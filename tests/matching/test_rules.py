"""One test per hard rule, with the contract's edges; reasons name the rule that failed."""

from __future__ import annotations

import pytest

from matching import (
    Assignment,
    ForbiddenPair,
    Policy,
    Programme,
    distance_km,
    municipalities,
    solve,
)
from tests.matching.factories import mentor, newcomer, problem


def outcome(p: object) -> str:
    """'matched' or the unmatched reason of the single request."""
    solution = solve(p)  # type: ignore[arg-type]
    if solution.matches:
        return "matched"
    return solution.unmatched[0].reason


def test_the_default_pair_is_matched() -> None:
    assert outcome(problem()) == "matched"


def test_programme_the_mentor_must_volunteer_for_it() -> None:
    p = problem([mentor(programmes=("homework_help",))])
    assert outcome(p) == "programme"


@pytest.mark.parametrize(
    ("age", "expected"), [(24, "matched"), (25, "programme"), (None, "programme")]
)
def test_programme_lets_network_is_for_ages_up_to_24(age: int | None, expected: str) -> None:
    p = problem(
        [mentor(programmes=("lets_network",), child_certificate=True)],
        [newcomer(programmes=("lets_network",), age=age)],
    )
    assert outcome(p) == expected


def test_programme_min_age_and_unknown_age_outside_any_set_bound() -> None:
    programmes = (Programme("mentor", min_age=18),)
    young = problem([mentor()], [newcomer(age=17)], programmes=programmes)
    adult = problem([mentor()], [newcomer(age=18)], programmes=programmes)
    assert outcome(young) == "programme"
    assert outcome(adult) == "matched"


def test_unbounded_programme_accepts_unknown_age() -> None:
    p = problem([mentor(child_certificate=True)], [newcomer(age=None)])
    assert outcome(p) == "matched"


def test_language_a_shared_language_is_needed() -> None:
    assert outcome(problem([mentor(languages=("en",))])) == "language"
    assert outcome(problem([mentor(languages=("ar",))])) == "matched"


def test_language_buddy_requires_a_danish_speaking_mentor() -> None:
    n = newcomer(languages=("ar", "en"), programmes=("language_buddy",))
    assert outcome(problem([mentor(languages=("en",), programmes=("language_buddy",))], [n])) == (
        "language"
    )
    assert outcome(
        problem([mentor(languages=("da", "en"), programmes=("language_buddy",))], [n])
    ) == ("matched")


def test_mindspring_requires_the_newcomers_first_language() -> None:
    n = newcomer(languages=("ti", "da"), programmes=("mindspring",))
    da_only = mentor(languages=("da",), programmes=("mindspring",))
    tigrinya = mentor(languages=("ti", "da"), programmes=("mindspring",))
    assert outcome(problem([da_only], [n])) == "language"
    # One participant is no MindSpring group (6 to 10); a group of one is, for the rule.
    assert outcome(problem([tigrinya], [n])) == "group_size"
    small = Programme(
        "mindspring", requires_first_language=True, unit="group", group_min=1, group_max=10
    )
    assert outcome(problem([tigrinya], [n], programmes=(small,))) == "matched"


def test_distance_exactly_at_the_limit_passes_and_beyond_fails() -> None:
    a, b = (55.70, 12.50), (55.80, 12.60)
    d = distance_km(a, b)
    at = problem([mentor(lat=b[0], lon=b[1], max_distance_km=d)], [newcomer(lat=a[0], lon=a[1])])
    beyond = problem(
        [mentor(lat=b[0], lon=b[1], max_distance_km=d - 1e-6)], [newcomer(lat=a[0], lon=a[1])]
    )
    assert outcome(at) == "matched"
    assert outcome(beyond) == "distance"
    assert solve(at).matches[0].components.distance == 0.0


def test_distance_uses_the_smaller_limit_and_the_policy_default() -> None:
    aarhus, kbh = municipalities()["751"], municipalities()["101"]
    d = distance_km((aarhus.lat, aarhus.lon), (kbh.lat, kbh.lon))
    assert 150 < d < 160
    far = problem([mentor(municipality="751")])
    assert outcome(far) == "distance"
    wide = Policy(default_max_distance_km=200)
    assert outcome(problem([mentor(municipality="751")], policy=wide)) == "matched"
    capped = problem([mentor(municipality="751")], [newcomer(max_distance_km=100)], policy=wide)
    assert outcome(capped) == "distance"


def test_distance_own_point_wins_over_municipality() -> None:
    aarhus = municipalities()["751"]
    p = problem([mentor(municipality="751")], [newcomer(lat=aarhus.lat, lon=aarhus.lon)])
    assert outcome(p) == "matched"


def test_gender_wish_of_the_newcomer() -> None:
    assert outcome(problem([mentor(gender="female")], [newcomer(mentor_gender="male")])) == "gender"
    assert outcome(problem([mentor(gender=None)], [newcomer(mentor_gender="male")])) == "gender"
    assert outcome(problem([mentor(gender="male")], [newcomer(mentor_gender="male")])) == "matched"


def test_gender_accepted_by_the_mentor() -> None:
    assert outcome(problem([mentor(accepts_genders=("female",))])) == "gender"
    assert outcome(problem([mentor(accepts_genders=("male",))])) == "matched"
    unknown = newcomer(gender=None)
    assert outcome(problem([mentor(accepts_genders=("male", "female"))], [unknown])) == "gender"
    assert outcome(problem([mentor(accepts_genders=None)], [unknown])) == "matched"


@pytest.mark.parametrize(
    ("age", "certificate", "expected"),
    [
        (14, False, "child_safety"),
        (14, True, "matched"),
        (15, False, "matched"),
        (None, False, "child_safety"),
        (None, True, "matched"),
    ],
)
def test_child_safety_below_15_or_unknown_age_needs_a_certificate(
    age: int | None, certificate: bool, expected: str
) -> None:
    p = problem([mentor(child_certificate=certificate)], [newcomer(age=age)])
    assert outcome(p) == expected


def test_child_safety_age_follows_the_policy() -> None:
    p = problem([mentor()], [newcomer(age=16)], policy=Policy(child_certificate_below_age=18))
    assert outcome(p) == "child_safety"


def test_forbidden_pair_is_never_proposed() -> None:
    p = problem(forbidden=(ForbiddenPair("n1", "m1"),))
    assert outcome(p) == "forbidden"


def test_forbidden_mentor_already_the_newcomers_mentor_in_another_programme() -> None:
    p = problem(
        [mentor(capacity=2, programmes=("mentor", "leisure_guide"))],
        fixed=(Assignment("n1", "m1", "leisure_guide"),),
    )
    assert outcome(p) == "forbidden"


def test_capacity_full_after_fixed() -> None:
    p = problem(fixed=(Assignment("someone", "m1", "mentor"),))
    assert outcome(p) == "capacity"
    roomy = problem([mentor(capacity=2)], fixed=(Assignment("someone", "m1", "mentor"),))
    assert outcome(roomy) == "matched"


def test_capacity_reason_when_the_optimum_gives_the_mentor_to_another() -> None:
    p = problem([mentor()], [newcomer("n1"), newcomer("n2", waiting_days=100)])
    solution = solve(p)
    assert [m.newcomer for m in solution.matches] == ["n2"]
    (u,) = solution.unmatched
    assert (u.newcomer, u.reason) == ("n1", "capacity")
    assert dict(u.passed) == {
        "programme": 1, "language": 1, "distance": 1, "gender": 1, "child_safety": 1,
        "forbidden": 1, "capacity": 1,
    }  # fmt: skip


def test_passed_counts_read_like_a_recruiting_note() -> None:
    ti_far = mentor("m1", languages=("ti", "da"), municipality="751")
    others = [mentor("m2", languages=("en",)), mentor("m3", languages=("en",))]
    outsider = mentor("m4", programmes=("homework_help",))
    n = newcomer(languages=("ti",))
    (u,) = solve(problem([ti_far, *others, outsider], [n])).unmatched
    assert u.reason == "distance"
    assert dict(u.passed) == {"programme": 3, "language": 1, "distance": 0}


def test_one_newcomer_never_gets_one_mentor_twice() -> None:
    m = mentor(capacity=3, programmes=("mentor", "leisure_guide"))
    n = newcomer(programmes=("mentor", "leisure_guide"))
    solution = solve(problem([m], [n]))
    assert solution.stats.matched == 1
    assert solution.unmatched[0].reason == "capacity"


def test_one_rule_function_per_contract_rule() -> None:
    from matching.candidates import RULE_FUNCTIONS
    from matching.model import PAIR_RULES as RULES

    assert [f.__name__.strip("_") for f in RULE_FUNCTIONS] == list(RULES)
