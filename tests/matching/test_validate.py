"""Bad input is refused with a ProblemError naming the record and the field."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from matching import (
    Assignment,
    ForbiddenPair,
    Policy,
    ProblemError,
    Programme,
    Weights,
    is_language,
    solve,
    validate,
)
from tests.matching.factories import mentor, newcomer, problem

CASES: dict[str, tuple[Any, str, str | None]] = {
    "unknown municipality": (problem([mentor(municipality="999")]), 'mentor "m1"', "municipality"),
    "unknown programme": (problem(newcomers=[newcomer(programmes=("yoga",))]), 'newcomer "n1"',
                          "programmes[0]"),
    "language not ISO 639": (problem([mentor(languages=("da", "xx1"))]), 'mentor "m1"',
                             "languages[1]"),
    "capacity below 1": (problem([mentor(capacity=0)]), 'mentor "m1"', "capacity"),
    "duplicate mentor id": (problem([mentor(), mentor()]), 'mentor "m1"', "id"),
    "duplicate newcomer id": (problem(newcomers=[newcomer(), newcomer()]), 'newcomer "n1"', "id"),
    "fixed load over capacity": (
        problem(fixed=(Assignment("a", "m1", "mentor"), Assignment("b", "m1", "mentor"))),
        'mentor "m1"', "capacity"),
    "weights not summing to 1": (
        problem(policy=Policy(weights=Weights(language=0.5))), "policy", "weights"),
    "fixed unknown mentor": (problem(fixed=(Assignment("a", "mX", "mentor"),)), "fixed[0]",
                             "mentor"),
    "previous unknown mentor": (problem(previous=(Assignment("n1", "mX", "mentor"),)),
                                "previous[0]", "mentor"),
    "forbidden unknown mentor": (problem(forbidden=(ForbiddenPair("n1", "mX"),)), "forbidden[0]",
                                 "mentor"),
    "fixed unknown programme": (problem(fixed=(Assignment("a", "m1", "yoga"),)), "fixed[0]",
                                "programme"),
    "no languages": (problem(newcomers=[newcomer(languages=())]), 'newcomer "n1"', "languages"),
    "negative distance": (problem([mentor(max_distance_km=-1)]), 'mentor "m1"',
                          "max_distance_km"),
    "lat without lon": (problem([mentor(lat=55.0)]), 'mentor "m1"', "lat"),
    "unknown gender": (problem(newcomers=[newcomer(gender="x")]), 'newcomer "n1"', "gender"),
    "programme twice": (problem(newcomers=[newcomer(programmes=("mentor", "mentor"))]),
                        'newcomer "n1"', "programmes"),
    "duplicate programme code": (
        problem(programmes=(Programme("mentor"), Programme("mentor"))), "programme 'mentor'",
        "code"),
    "requires bad language": (
        problem(programmes=(Programme("mentor", requires_language="dansk"),)),
        "programme 'mentor'", "requires_language"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_bad_problem_is_refused_naming_record_and_field(case: str) -> None:
    bad, record, field = CASES[case]
    with pytest.raises(ProblemError) as info:
        validate(bad)
    assert (info.value.record, info.value.field) == (record, field)
    assert record in str(info.value)
    with pytest.raises(ProblemError):
        solve(bad)


def test_weights_within_tolerance_are_accepted() -> None:
    weights = Weights(language=0.3 + 5e-7, distance=0.25, interests=0.3, age=0.15)
    validate(problem(policy=Policy(weights=weights)))
    off = replace(weights, language=0.3 + 2e-6)
    with pytest.raises(ProblemError):
        validate(problem(policy=Policy(weights=off)))


def test_a_good_problem_passes() -> None:
    validate(problem())


@pytest.mark.parametrize(
    "code", ["ar", "ti", "prs", "ps", "so", "ckb", "kmr", "ku", "fa", "uk", "ru", "da", "en", "de"]
)
def test_languages_newcomers_speak_are_iso_639(code: str) -> None:
    assert is_language(code)


@pytest.mark.parametrize(
    "code", ["xx1", "klingon", "xx", "zz", "EN", "en-US", "ara", "und", "qaa", "", "a"]
)
def test_garbage_and_non_canonical_codes_are_refused(code: str) -> None:
    assert not is_language(code)
