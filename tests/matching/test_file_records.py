"""The file contract's people records: a well-formed list reads as the dataclasses say, and a
bad record anywhere in a list is refused naming that record and field (the messages of
``makker solve``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from matching import Mentor, Newcomer, ProblemError, problem_from_dict, problem_from_json

DELETE = object()


def person(kind: str, i: int) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"{kind[0]}{i}",
        "languages": ["da", "en"],
        "municipality": "101",
        "programmes": ["mentor"],
    }
    if kind == "mentor":
        record["capacity"] = 1
    return record


def people(key: str, i: int, field: str, value: Any) -> str:
    """Three mentors and three newcomers, record ``i`` of ``key`` with ``field`` set (or
    removed), as JSON text."""
    data = {
        "mentors": [person("mentor", k) for k in range(3)],
        "newcomers": [person("newcomer", k) for k in range(3)],
    }
    if value is DELETE:
        del data[key][i][field]
    else:
        data[key][i][field] = value
    return json.dumps(data)


#: case -> (list, record index, field, value), (record named, field named, reason)
BAD: dict[str, tuple[tuple[str, int, str, Any], tuple[str, str, str]]] = {
    "empty id": (("newcomers", 1, "id", ""),
                 ("newcomers[1]", "id", "must be a non-empty string, got ''")),
    "language a number": (("newcomers", 1, "languages", ["da", 5]),
                          ('newcomer "n1"', "languages[1]", "must be a non-empty string, got 5")),
    "empty language": (("mentors", 1, "languages", ["da", ""]),
                       ('mentor "m1"', "languages[1]", "must be a non-empty string, got ''")),
    "languages a string": (("mentors", 1, "languages", "da"),
                           ('mentor "m1"', "languages", "must be a list of strings, got 'da'")),
    "lat a string": (("newcomers", 2, "lat", "55.6"),
                     ('newcomer "n2"', "lat", "must be a number, got '55.6'")),
    "lat true": (("newcomers", 2, "lat", True),
                 ('newcomer "n2"', "lat", "must be a number, got True")),
    "age a float": (("newcomers", 1, "age", 30.5),
                    ('newcomer "n1"', "age", "must be a whole number, got 30.5")),
    "capacity true": (("mentors", 1, "capacity", True),
                      ('mentor "m1"', "capacity", "must be a whole number, got True")),
    "waiting null": (("newcomers", 1, "waiting_days", None),
                     ('newcomer "n1"', "waiting_days", "must be a whole number, got None")),
    "interests null": (("newcomers", 1, "interests", None),
                       ('newcomer "n1"', "interests", "must be a list of strings, got None")),
    "accepts a string": (("mentors", 1, "accepts_genders", "female"),
                         ('mentor "m1"', "accepts_genders",
                          "must be a list of strings, got 'female'")),
    "accepts a null item": (("mentors", 1, "accepts_genders", ["female", None]),
                            ('mentor "m1"', "accepts_genders[1]",
                             "must be a non-empty string, got None")),
    "certificate 1": (("mentors", 1, "child_certificate", 1),
                      ('mentor "m1"', "child_certificate", "must be true or false, got 1")),
    "gender empty": (("mentors", 2, "gender", ""),
                     ('mentor "m2"', "gender", "must be a non-empty string, got ''")),
    "unknown key": (("newcomers", 1, "colour", "red"),
                    ('newcomer "n1"', "colour", "unknown field")),
    "missing municipality": (("mentors", 1, "municipality", DELETE),
                             ('mentor "m1"', "municipality", "is required")),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_record_in_a_list_is_named_with_its_field(case: str) -> None:
    change, (record, field, reason) = BAD[case]
    with pytest.raises(ProblemError) as caught:
        problem_from_json(people(*change))
    assert str(caught.value) == f"{record}, field {field!r}: {reason}"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('[{"id": "n0", "languages": ["da"], "municipality": "101", "programmes": [], '
         '"lat": NaN, "lon": 1}]', "newcomer \"n0\", field 'lat': must be a number, got nan"),
        ("[7]", "newcomers[0]: must be a JSON object, got int"),
        ('[{"id": 7}]', "newcomers[0], field 'id': must be a non-empty string, got 7"),
    ],
)  # fmt: skip
def test_records_json_itself_refuses_are_named_too(raw: str, message: str) -> None:
    with pytest.raises(ProblemError) as caught:
        problem_from_json(f'{{"mentors": [], "newcomers": {raw}}}')
    assert str(caught.value) == message


def test_a_well_formed_list_reads_as_the_dataclasses_say() -> None:
    mentor = {
        "child_certificate": True,
        "lon": 12,
        "lat": 55.5,
        "accepts_genders": ["female"],
        **person("mentor", 0),
        "capacity": 2,
    }
    newcomer = {**person("newcomer", 0), "age": 30, "max_distance_km": 10, "waiting_days": 4}
    problem = problem_from_dict(
        {"mentors": [mentor], "newcomers": [newcomer, person("newcomer", 1)]}
    )
    assert problem.mentors == (
        Mentor(
            id="m0",
            languages=("da", "en"),
            municipality="101",
            programmes=("mentor",),
            capacity=2,
            lat=55.5,
            lon=12.0,
            accepts_genders=("female",),
            child_certificate=True,
        ),
    )
    assert type(problem.mentors[0].lon) is float
    assert problem.newcomers == (
        Newcomer(
            "n0", ("da", "en"), "101", ("mentor",), max_distance_km=10.0, age=30, waiting_days=4
        ),
        Newcomer("n1", ("da", "en"), "101", ("mentor",)),
    )
    assert type(problem.newcomers[0].max_distance_km) is float
