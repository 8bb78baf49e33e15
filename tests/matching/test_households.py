"""Households: each rule read member-wise, the score, never twice household-wide."""

from __future__ import annotations

from typing import Any

import pytest

from matching import (
    Assignment,
    ForbiddenPair,
    Household,
    Problem,
    Programme,
    check_pair,
    solve,
    suggest,
)
from tests.matching.factories import mentor, newcomer

FAMILY = Programme("network_family", unit="household")
PROGRAMMES = (Programme("mentor"), FAMILY, Programme("homework_help"))


def family(*members: Any, mentors: Any = None, **fields: Any) -> Problem:
    """A household h1 of ``members`` (the first asks for network_family) and one mentor."""
    people = [
        newcomer("c1", programmes=("network_family",)),
        *(newcomer(f"k{i}", **{"programmes": (), **m}) for i, m in enumerate(members)),
    ]
    fields.setdefault("programmes", PROGRAMMES)
    return Problem(
        mentors=tuple(
            mentors or [mentor(programmes=("network_family", "mentor", "homework_help"))]
        ),
        newcomers=tuple(people),
        households=(Household("h1", tuple(p.id for p in people)),),
        **fields,
    )


def failed(p: Problem, mentor_id: str = "m1") -> tuple[str, ...]:
    """The rules the household request breaks with the mentor, as check_pair and the solve
    see them (the solve's reason is the first of them)."""
    found = check_pair(p, "c1", mentor_id, "network_family").failed
    solution = solve(p)
    request = [u for u in solution.unmatched if u.programme == "network_family"]
    if found:
        assert request and request[0].reason == found[0]
    else:
        assert [m.household for m in solution.matches] == ["h1"]
    return found


def test_a_matched_household_names_its_household() -> None:
    assert failed(family({"age": 35})) == ()


@pytest.mark.parametrize(
    ("age", "broken"), [(60, ()), (61, ("programme",)), (None, ("programme",))]
)
def test_programme_every_members_age_inside_the_bounds(
    age: int | None, broken: tuple[str, ...]
) -> None:
    bounded = (Programme("network_family", unit="household", max_age=60),)
    certified = [mentor(programmes=("network_family",), child_certificate=True)]
    p = family({"age": age}, mentors=certified, programmes=bounded)
    assert failed(p) == broken


def test_language_shared_with_an_adult_not_only_with_a_child() -> None:
    # The contact speaks ar, da; a mentor speaking only ti shares a language with the child.
    speaks_ti = [mentor(languages=("ti",), programmes=("network_family",), child_certificate=True)]
    child = {"age": 9, "languages": ("ti",)}
    assert failed(family(child, mentors=speaks_ti)) == ("language",)
    adult = {"age": 19, "languages": ("ti",)}
    assert failed(family(adult, mentors=speaks_ti)) == ()


def test_language_any_member_when_no_adults_age_is_known() -> None:
    speaks_ti = [mentor(languages=("ti",), programmes=("network_family",), child_certificate=True)]
    p = family({"age": 9, "languages": ("ti",)}, mentors=speaks_ti)
    unknown = Problem(
        mentors=p.mentors,
        newcomers=tuple(
            n if n.id != "c1" else newcomer("c1", programmes=("network_family",), age=None)
            for n in p.newcomers
        ),
        households=p.households,
        programmes=PROGRAMMES,
    )
    assert failed(unknown) == ()


def test_a_programme_language_rule_applies_to_the_contact_person() -> None:
    first = (Programme("network_family", unit="household", requires_first_language=True),)
    da_en = [mentor(programmes=("network_family",))]  # the contact's first language is ar
    assert failed(family({"age": 40, "languages": ("da",)}, mentors=da_en,
                         programmes=first)) == ("language",)  # fmt: skip
    ar = [mentor(languages=("ar", "da"), programmes=("network_family",))]
    assert failed(family({"age": 40}, mentors=ar, programmes=first)) == ()


def test_distance_from_the_contact_persons_point() -> None:
    far_member = {"age": 40, "municipality": "751"}  # Aarhus; the contact is in København
    assert failed(family(far_member)) == ()
    near_mentor = [mentor(programmes=("network_family",), municipality="751")]
    assert failed(family({"age": 40}, mentors=near_mentor)) == ("distance",)


def test_gender_the_contacts_wish_and_every_adults_gender_accepted() -> None:
    accepts_male = [mentor(programmes=("network_family",), accepts_genders=("male",),
                           child_certificate=True)]  # fmt: skip
    # The contact is male; a female adult member is not accepted, a female child is.
    assert failed(family({"age": 30, "gender": "female"}, mentors=accepts_male)) == ("gender",)
    assert failed(family({"age": 8, "gender": "female"}, mentors=accepts_male)) == ()
    assert failed(family({"age": 30, "gender": None}, mentors=accepts_male)) == ("gender",)
    wish = family({"age": 30, "mentor_gender": "male"})  # a member's wish is not the contact's
    assert failed(wish) == ()


def test_child_safety_any_child_or_unknown_age_needs_the_certificate() -> None:
    assert failed(family({"age": 40})) == ()
    assert failed(family({"age": 14})) == ("child_safety",)
    assert failed(family({"age": None})) == ("child_safety",)
    certified = [mentor(programmes=("network_family",), child_certificate=True)]
    assert failed(family({"age": 14}, mentors=certified)) == ()


def test_forbidden_any_members_rejection_or_fixed_match() -> None:
    rejected = family({"age": 40}, forbidden=(ForbiddenPair("k0", "m1"),))
    assert failed(rejected) == ("forbidden",)
    two = [mentor(programmes=("network_family", "mentor"), capacity=2)]
    fixed = family({"age": 40}, mentors=two, fixed=(Assignment("k0", "m1", "mentor"),))
    assert failed(fixed) == ("forbidden",)


def test_a_fixed_household_match_makes_the_mentor_every_members() -> None:
    p = family(
        {"age": 40, "programmes": ("mentor",)},
        mentors=[mentor(programmes=("network_family", "mentor"), capacity=3)],
        fixed=(Assignment("c1", "m1", "network_family"),),
    )
    p = Problem(**{**_fields(p), "newcomers": tuple(
        n if n.id != "c1" else newcomer("c1", programmes=()) for n in p.newcomers)})  # fmt: skip
    assert check_pair(p, "k0", "m1", "mentor").failed == ("forbidden",)
    assert solve(p).unmatched[0].reason == "forbidden"


def _fields(p: Problem) -> dict[str, Any]:
    return {name: getattr(p, name) for name in Problem.__dataclass_fields__}


def test_never_twice_a_household_request_and_a_members_own_request() -> None:
    # One mentor with two places: the household's request and the child's homework help
    # cannot both go to it.
    p = family(
        {"age": 40, "programmes": ("homework_help",)},
        mentors=[mentor(programmes=("network_family", "homework_help"), capacity=2)],
    )
    solution = solve(p)
    assert solution.stats.matched == 1
    (left,) = solution.unmatched
    assert left.reason == "capacity"
    two = Problem(**{**_fields(p), "mentors": (
        mentor("m1", programmes=("network_family", "homework_help"), capacity=2),
        mentor("m2", programmes=("homework_help",)))})  # fmt: skip
    assert {(m.programme, m.mentor) for m in solve(two).matches} == {
        ("network_family", "m1"), ("homework_help", "m2")}  # fmt: skip


def test_the_score_reads_the_contact_and_all_members() -> None:
    p = family(
        {"age": 40, "interests": ("chess",), "waiting_days": 180, "languages": ("da",)},
        mentors=[mentor(programmes=("network_family",), interests=("chess",), age=30)],
    )
    (match,) = solve(p).matches
    assert match.household == "h1"
    assert match.components.interests == 1.0  # the member's chess; the contact has none
    assert match.components.age == pytest.approx(1 - 0 / 40)  # contact 30, mentor 30
    assert match.components.language == 0.5  # the contact's first language ar
    waiting = solve(p).stats.objective - match.score
    assert waiting == pytest.approx(0.2)  # the member's 180 days, not the contact's 0


def test_suggest_a_household_request() -> None:
    p = family({"age": 14}, mentors=[
        mentor("m1", programmes=("network_family",)),
        mentor("m2", programmes=("network_family",), child_certificate=True)])  # fmt: skip
    found = suggest(p, "c1", "network_family")
    assert [c.mentor for c in found.candidates] == ["m2"]
    assert dict(found.passed)["child_safety"] == 1


def test_a_listed_household_of_one_is_a_person() -> None:
    alone = Problem(
        mentors=(mentor(programmes=("network_family",)),),
        newcomers=(newcomer("c1", programmes=("network_family",)),),
        households=(Household("h1", ("c1",)),),
        programmes=PROGRAMMES,
    )
    (match,) = solve(alone).matches
    assert match.household == "h1"
    unlisted = Problem(**{**_fields(alone), "households": ()})
    (same,) = solve(unlisted).matches
    assert same.household is None and same.score == match.score
