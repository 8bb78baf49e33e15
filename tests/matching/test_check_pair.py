"""``check_pair``: one pair against every hard rule, as the oracle reads the contract."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from matching import PAIR_RULES as RULES
from matching import ForbiddenPair, Problem, ProblemError, check_pair
from tests.matching import oracle
from tests.matching.factories import mentor, newcomer, problem
from tests.matching.test_oracle import SETTINGS, problems

#: Every pair of each problem is checked: fewer problems than the solver's oracle test.
PAIRS = settings(SETTINGS, max_examples=50)


@PAIRS
@given(problems())
def test_every_rule_and_the_score_agree_with_the_oracle(p: Problem) -> None:
    for n in p.newcomers:
        for code in n.programmes:
            for m in p.mentors:
                found = check_pair(p, n.id, m.id, code)
                expected = oracle.rule_results(p, n, code, m)
                assert found.failed == tuple(
                    rule for rule, ok in zip(RULES, expected, strict=True) if not ok
                )
                assert found.score == pytest.approx(oracle.score(p, n, m, code), abs=1e-9)
                assert found.distance_km == pytest.approx(
                    oracle.haversine(oracle.point(n), oracle.point(m)), abs=1e-6
                )


def test_a_child_without_a_certified_mentor_breaks_child_safety_only() -> None:
    p = problem([mentor(child_certificate=False)], [newcomer(age=10)])
    found = check_pair(p, "n1", "m1", "mentor")
    assert found.failed == ("child_safety",)
    assert 0 < found.score <= 1


def test_several_broken_rules_are_all_named() -> None:
    far = mentor(municipality="751", languages=("en",), programmes=("mentor",))
    p = problem([far], [newcomer(age=None)], forbidden=(ForbiddenPair("n1", "m1"),))
    # A programme the newcomer has not asked for is checked as if asked for.
    found = check_pair(p, "n1", "m1", "lets_network")
    assert found.failed == ("programme", "language", "distance", "child_safety", "forbidden")


def test_unknown_people_and_programmes_are_refused() -> None:
    p = problem()
    for args in (("x", "m1", "mentor"), ("n1", "x", "mentor"), ("n1", "m1", "nope")):
        with pytest.raises(ProblemError):
            check_pair(p, *args)
