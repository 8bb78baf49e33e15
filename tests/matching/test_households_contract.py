"""The households-and-groups additions of the file contract: parsing, writing, refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from matching import (
    DEFAULT_PROGRAMMES,
    RULES,
    Household,
    ProblemError,
    problem_from_dict,
    problem_to_dict,
    validate,
)

PROBLEM: dict[str, Any] = {
    "programmes": [
        {"code": "mentor"},
        {"code": "network_family", "unit": "household"},
        {"code": "mindspring", "requires_first_language": True, "unit": "group",
         "group_min": 2, "group_max": 3},
    ],
    "mentors": [
        {"id": "m1", "languages": ["da", "ar"], "municipality": "101", "capacity": 2,
         "programmes": ["mentor", "network_family", "mindspring"]},
    ],
    "newcomers": [
        {"id": "n1", "languages": ["ar"], "municipality": "101", "age": 40,
         "programmes": ["network_family", "mindspring"]},
        {"id": "n2", "languages": ["ar"], "municipality": "101", "age": 8, "programmes": []},
        {"id": "n3", "languages": ["ar"], "municipality": "101", "programmes": ["mentor"]},
    ],
    "households": [{"id": "h1", "members": ["n1", "n2"]}],
}  # fmt: skip


def refused(data: dict[str, Any]) -> ProblemError:
    with pytest.raises(ProblemError) as caught:
        validate(problem_from_dict(data))
    return caught.value


def test_households_and_units_are_read_and_written_back() -> None:
    problem = problem_from_dict(PROBLEM)
    assert problem.households == (Household("h1", ("n1", "n2")),)
    assert [(p.unit, p.group_min, p.group_max) for p in problem.programmes] == [
        ("person", None, None), ("household", None, None), ("group", 2, 3)]  # fmt: skip
    validate(problem)
    again = problem_from_dict(json.loads(json.dumps(problem_to_dict(problem))))
    assert again == problem


def test_the_default_programmes_carry_their_units() -> None:
    units = {p.code: (p.unit, p.group_min, p.group_max) for p in DEFAULT_PROGRAMMES}
    assert units["network_family"] == ("household", None, None)
    assert units["mindspring"] == ("group", 6, 10)
    assert {u for u, _, _ in units.values()} == {"person", "household", "group"}
    assert RULES[-2:] == ("capacity", "group_size")


@pytest.mark.parametrize(
    ("change", "record", "field"),
    [
        ({"households": [{"id": "h1", "members": []}]}, 'household "h1"', "members"),
        ({"households": [{"id": "h1", "members": ["n1", "n9"]}]}, 'household "h1"', "members[1]"),
        (
            {"households": [{"id": "h1", "members": ["n1"]}, {"id": "h2", "members": ["n1"]}]},
            'household "h2"',
            "members[0]",
        ),
        (
            {"households": [{"id": "h1", "members": ["n1"]}, {"id": "h1", "members": ["n2"]}]},
            'household "h1"',
            "id",
        ),
        ({"households": [{"id": "h1", "members": ["n2", "n1"]}]}, 'newcomer "n1"', "programmes[0]"),
        ({"households": [{"id": "h1"}]}, 'household "h1"', "members"),
        ({"households": [{"id": "h1", "members": ["n1"], "x": 1}]}, 'household "h1"', "x"),
    ],
)
def test_bad_households_are_refused_naming_the_field(
    change: dict[str, Any], record: str, field: str
) -> None:
    error = refused({**PROBLEM, **change})
    assert (error.record, error.field) == (record, field)


@pytest.mark.parametrize(
    ("programme", "field"),
    [
        ({"code": "x", "unit": "team"}, "unit"),
        ({"code": "x", "unit": "group"}, "group_min"),
        ({"code": "x", "unit": "group", "group_min": 2}, "group_max"),
        ({"code": "x", "unit": "group", "group_min": 0, "group_max": 3}, "group_min"),
        ({"code": "x", "unit": "group", "group_min": 4, "group_max": 3}, "group_min"),
        ({"code": "x", "unit": "person", "group_max": 3}, "group_max"),
        ({"code": "x", "unit": "household", "group_min": 1}, "group_min"),
    ],
)
def test_inconsistent_group_sizes_are_refused(programme: dict[str, Any], field: str) -> None:
    error = refused({**PROBLEM, "programmes": [*PROBLEM["programmes"], programme]})
    assert (error.record, error.field) == ("programme 'x'", field)


def test_fixed_group_participants_use_the_group_not_the_capacity() -> None:
    fixed = [{"newcomer": f"f{i}", "mentor": "m1", "programme": "mindspring"} for i in range(3)]
    validate(problem_from_dict({**PROBLEM, "fixed": fixed}))  # 3 > capacity 2, <= group_max 3
    one_more = {"newcomer": "f9", "mentor": "m1", "programme": "mindspring"}
    error = refused({**PROBLEM, "fixed": [*fixed, one_more]})
    assert (error.record, error.field) == ('mentor "m1"', "programmes")
