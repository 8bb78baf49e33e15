"""Validation of a Problem: everything the contract refuses, checked once before solving."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from matching.errors import ProblemError
from matching.geo import municipalities
from matching.languages import language_problem
from matching.model import UNITS, Mentor, Newcomer, Policy, Problem, Programme

if TYPE_CHECKING:
    from matching._index import MentorPool

GENDERS = ("female", "male", "other")
WEIGHT_TOLERANCE = 1e-6


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_languages(record: str, codes: Iterable[str], *, required: bool) -> None:
    codes = tuple(codes)
    if required and not codes:
        raise ProblemError("must list at least one language", record=record, field="languages")
    for i, code in enumerate(codes):
        problem = language_problem(code)
        if problem is not None:
            raise ProblemError(problem, record=record, field=f"languages[{i}]")


def _check_person(record: str, person: Mentor | Newcomer, programmes: set[str]) -> None:
    if not isinstance(person.id, str) or not person.id:
        raise ProblemError("must be a non-empty string", record=record, field="id")
    _check_languages(record, person.languages, required=True)
    if person.municipality not in municipalities():
        raise ProblemError(
            f"unknown kommunekode {person.municipality!r}", record=record, field="municipality"
        )
    if (person.lat is None) != (person.lon is None):
        raise ProblemError(
            "lat and lon must be given together or not at all", record=record, field="lat"
        )
    if person.lat is not None and person.lon is not None:
        if not _is_number(person.lat) or not -90 <= person.lat <= 90:
            raise ProblemError("must be a latitude in degrees", record=record, field="lat")
        if not _is_number(person.lon) or not -180 <= person.lon <= 180:
            raise ProblemError("must be a longitude in degrees", record=record, field="lon")
    if person.max_distance_km is not None and (
        not _is_number(person.max_distance_km) or person.max_distance_km < 0
    ):
        raise ProblemError(
            "must be a number of km, at least 0", record=record, field="max_distance_km"
        )
    for i, code in enumerate(person.programmes):
        if code not in programmes:
            raise ProblemError(
                f"unknown programme {code!r}", record=record, field=f"programmes[{i}]"
            )
    if person.age is not None and (not _is_int(person.age) or person.age < 0):
        raise ProblemError(
            "must be a whole number of years, at least 0", record=record, field="age"
        )
    if person.gender is not None and person.gender not in GENDERS:
        raise ProblemError(f"must be one of {', '.join(GENDERS)}", record=record, field="gender")


def _check_policy(problem: Problem) -> None:
    policy = problem.policy
    for name in ("default_max_distance_km", "waiting_weight", "keep_bonus"):
        value = getattr(policy, name)
        if not _is_number(value) or value < 0:
            raise ProblemError("must be a number, at least 0", record="policy", field=name)
    if not _is_int(policy.child_certificate_below_age) or policy.child_certificate_below_age < 0:
        raise ProblemError(
            "must be a whole number", record="policy", field="child_certificate_below_age"
        )
    weights = policy.weights
    values = {k: getattr(weights, k) for k in ("language", "distance", "interests", "age")}
    for name, value in values.items():
        if not _is_number(value) or value < 0:
            raise ProblemError(
                "must be a number, at least 0", record="policy", field=f"weights.{name}"
            )
    total = math.fsum(values.values())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise ProblemError(
            f"must sum to 1, they sum to {total:.6g}", record="policy", field="weights"
        )


def _check_programmes(problem: Problem) -> set[str]:
    seen: set[str] = set()
    for i, programme in enumerate(problem.programmes):
        record = f"programmes[{i}]"
        if not isinstance(programme.code, str) or not programme.code:
            raise ProblemError("must be a non-empty string", record=record, field="code")
        record = f"programme {programme.code!r}"
        if programme.code in seen:
            raise ProblemError("duplicate programme code", record=record, field="code")
        seen.add(programme.code)
        for name in ("min_age", "max_age"):
            value = getattr(programme, name)
            if value is not None and (not _is_int(value) or value < 0):
                raise ProblemError(
                    "must be a whole number of years or null", record=record, field=name
                )
        if (
            programme.min_age is not None
            and programme.max_age is not None
            and programme.min_age > programme.max_age
        ):
            raise ProblemError("must not exceed max_age", record=record, field="min_age")
        if programme.requires_language is not None:
            problem_text = language_problem(programme.requires_language)
            if problem_text is not None:
                raise ProblemError(problem_text, record=record, field="requires_language")
        _check_unit(record, programme)
    return seen


def _check_unit(record: str, programme: Programme) -> None:
    unit = programme.unit
    if unit not in UNITS:
        raise ProblemError(f"must be one of {', '.join(UNITS)}", record=record, field="unit")
    for name in ("group_min", "group_max"):
        value = getattr(programme, name)
        if unit != "group":
            if value is not None:
                raise ProblemError(
                    "is set only for a unit: group programme", record=record, field=name
                )
        elif not _is_int(value) or value < 1:
            raise ProblemError(
                "must be a whole number, at least 1, for a group programme",
                record=record,
                field=name,
            )
    if unit == "group" and (programme.group_min or 0) > (programme.group_max or 0):
        raise ProblemError("must not exceed group_max", record=record, field="group_min")


def _check_households(problem: Problem, newcomers: set[str]) -> None:
    """Unique ids, members known newcomers, each newcomer in at most one household, and only
    the contact person lists the household's ``unit: household`` programmes."""
    seen: set[str] = set()
    member_of: dict[str, str] = {}
    household_programmes = {p.code for p in problem.programmes if p.unit == "household"}
    for i, household in enumerate(problem.households):
        if not isinstance(household.id, str) or not household.id:
            raise ProblemError("must be a non-empty string", record=f"households[{i}]", field="id")
        record = f'household "{household.id}"'
        if household.id in seen:
            raise ProblemError("duplicate household id", record=record, field="id")
        seen.add(household.id)
        if not household.members:
            raise ProblemError("must list at least one newcomer", record=record, field="members")
        for j, member in enumerate(household.members):
            field = f"members[{j}]"
            if member not in newcomers:
                raise ProblemError(f"unknown newcomer {member!r}", record=record, field=field)
            if member in member_of:
                raise ProblemError(
                    f"newcomer {member!r} is already a member of household {member_of[member]!r}",
                    record=record,
                    field=field,
                )
            member_of[member] = household.id
    contacts = {h.id: h.members[0] for h in problem.households}
    for newcomer in problem.newcomers:
        household_id = member_of.get(newcomer.id)
        if household_id is None:
            continue
        contact = contacts[household_id]
        if newcomer.id == contact:
            continue
        for k, code in enumerate(newcomer.programmes):
            if code in household_programmes:
                raise ProblemError(
                    f"{code!r} is a household programme: the contact person {contact!r} of "
                    f"household {household_id!r} asks for it",
                    record=f'newcomer "{newcomer.id}"',
                    field=f"programmes[{k}]",
                )


def validate(problem: Problem, pool: MentorPool | None = None) -> None:
    """Refuse a problem the contract calls bad input, raising :class:`ProblemError`.

    Checks: known municipalities and programmes, ISO 639 languages, capacity at least 1,
    unique ids, weights summing to 1, ``fixed``/``previous``/``forbidden`` naming known
    mentors and programmes, no mentor's ``fixed`` load above its capacity (group
    programmes: above ``group_max``), programme units with consistent group sizes, and
    households (:func:`_check_households`). A mentor ``pool`` holds (its own object) passed
    its own checks when the pool was made: only its programmes are checked again.
    """
    _check_policy(problem)
    programmes = _check_programmes(problem)
    try:
        valid = _people_valid(problem, programmes, pool)
    except TypeError:  # an unhashable value where a code belongs: the full checks name it
        valid = False
    if valid:
        mentor_capacity = {m.id: m.capacity for m in problem.mentors}
        seen_newcomers = {n.id for n in problem.newcomers}
    else:
        mentor_capacity, seen_newcomers = _check_people(problem, programmes)
    _check_pairs(problem, programmes, mentor_capacity, seen_newcomers)


def _people_valid(problem: Problem, programmes: set[str], pool: MentorPool | None = None) -> bool:
    """Whether :func:`_check_people` would find nothing wrong with the mentors and
    newcomers: the same checks, of each distinct municipality, list of languages and list
    of programmes once, in one loop without calls (of a mentor ``pool`` holds, only its
    programmes). False sends the problem through :func:`_check_people`, which names the
    first error."""
    places = municipalities()
    genders = (None, *GENDERS)
    kinds = (int, float)
    languages: set[tuple[str, ...]] = set()
    lists: set[tuple[str, ...]] = set()
    mentors: Sequence[Mentor] = problem.mentors
    if pool is not None:
        found = pool.rows_of(problem.mentors)
        mentors = [m for m, r in zip(problem.mentors, found, strict=True) if r < 0]
        lists.update(m.programmes for m in problem.mentors)
    people: tuple[Mentor | Newcomer, ...] = (*mentors, *problem.newcomers)
    for x in people:
        lat, lon, limit, age = x.lat, x.lon, x.max_distance_km, x.age
        if not (
            type(x.id) is str
            and x.id
            and type(x.languages) is tuple
            and x.languages
            and type(x.programmes) is tuple
            and x.municipality in places
            and x.gender in genders
            and (lat is None) == (lon is None)
            and (lat is None or (type(lat) in kinds and -90 <= lat <= 90))
            and (lon is None or (type(lon) in kinds and -180 <= lon <= 180))
            and (limit is None or (type(limit) in kinds and 0 <= limit < math.inf))
            and (age is None or (type(age) is int and age >= 0))
        ):
            return False
        languages.add(x.languages)
        lists.add(x.programmes)
    for m in mentors:
        accepts = m.accepts_genders
        if not (
            type(m.capacity) is int
            and m.capacity >= 1
            and type(m.child_certificate) is bool
            and (accepts is None or (type(accepts) is tuple and None not in accepts))
            and (accepts is None or all(g in genders for g in accepts))
        ):
            return False
    for n in problem.newcomers:
        if not (
            n.mentor_gender in genders
            and type(n.waiting_days) is int
            and n.waiting_days >= 0
            and len(set(n.programmes)) == len(n.programmes)
        ):
            return False
    if len({m.id for m in problem.mentors}) != len(problem.mentors):
        return False
    if len({n.id for n in problem.newcomers}) != len(problem.newcomers):
        return False
    if any(language_problem(c) is not None for t in languages for c in t):
        return False
    return all(c in programmes for t in lists for c in t)


def _check_people(problem: Problem, programmes: set[str]) -> tuple[dict[str, int], set[str]]:
    """Check every mentor and newcomer in order, raising the first error; their ids."""
    mentor_capacity: dict[str, int] = {}
    for i, mentor in enumerate(problem.mentors):
        record = f'mentor "{mentor.id}"' if isinstance(mentor.id, str) else f"mentors[{i}]"
        _check_person(record, mentor, programmes)
        if mentor.id in mentor_capacity:
            raise ProblemError("duplicate mentor id", record=record, field="id")
        if not _is_int(mentor.capacity) or mentor.capacity < 1:
            raise ProblemError(
                f"must be at least 1, got {mentor.capacity!r}", record=record, field="capacity"
            )
        if mentor.accepts_genders is not None:
            for j, gender in enumerate(mentor.accepts_genders):
                if gender not in GENDERS:
                    raise ProblemError(
                        f"must be one of {', '.join(GENDERS)}",
                        record=record,
                        field=f"accepts_genders[{j}]",
                    )
        if not isinstance(mentor.child_certificate, bool):
            raise ProblemError("must be true or false", record=record, field="child_certificate")
        mentor_capacity[mentor.id] = mentor.capacity
    seen_newcomers: set[str] = set()
    for i, newcomer in enumerate(problem.newcomers):
        record = f'newcomer "{newcomer.id}"' if isinstance(newcomer.id, str) else f"newcomers[{i}]"
        _check_person(record, newcomer, programmes)
        if newcomer.id in seen_newcomers:
            raise ProblemError("duplicate newcomer id", record=record, field="id")
        seen_newcomers.add(newcomer.id)
        for code, count in Counter(newcomer.programmes).items():
            if count > 1:
                raise ProblemError(
                    f"programme {code!r} listed twice", record=record, field="programmes"
                )
        if newcomer.mentor_gender is not None and newcomer.mentor_gender not in GENDERS:
            raise ProblemError(
                f"must be one of {', '.join(GENDERS)}", record=record, field="mentor_gender"
            )
        if not _is_int(newcomer.waiting_days) or newcomer.waiting_days < 0:
            raise ProblemError(
                "must be a whole number, at least 0", record=record, field="waiting_days"
            )
    return mentor_capacity, seen_newcomers


def _check_pairs(
    problem: Problem,
    programmes: set[str],
    mentor_capacity: dict[str, int],
    seen_newcomers: set[str],
) -> None:
    """Households, then ``fixed``, ``previous`` and ``forbidden`` and the fixed loads."""
    _check_households(problem, seen_newcomers)
    groups = {p.code: p for p in problem.programmes if p.unit == "group"}
    load: Counter[str] = Counter()
    group_load: Counter[tuple[str, str]] = Counter()
    pairs: list[tuple[str, int, str, str, str | None]] = [
        ("fixed", i, a.newcomer, a.mentor, a.programme) for i, a in enumerate(problem.fixed)
    ]
    pairs += [
        ("previous", i, a.newcomer, a.mentor, a.programme) for i, a in enumerate(problem.previous)
    ]
    pairs += [("forbidden", i, f.newcomer, f.mentor, None) for i, f in enumerate(problem.forbidden)]
    seen_fixed: set[tuple[str, str, str | None]] = set()
    for name, i, newcomer_id, mentor_id, programme in pairs:
        record = f"{name}[{i}]"
        if not isinstance(newcomer_id, str) or not newcomer_id:
            raise ProblemError("must be a non-empty string", record=record, field="newcomer")
        if mentor_id not in mentor_capacity:
            raise ProblemError(f"unknown mentor {mentor_id!r}", record=record, field="mentor")
        if name != "forbidden" and programme not in programmes:
            raise ProblemError(f"unknown programme {programme!r}", record=record, field="programme")
        if name == "fixed":
            if (newcomer_id, mentor_id, programme) in seen_fixed:
                raise ProblemError("duplicate fixed match", record=record, field=None)
            seen_fixed.add((newcomer_id, mentor_id, programme))
            if programme in groups:
                group_load[(mentor_id, programme)] += 1
            else:
                load[mentor_id] += 1
    for mentor_id, count in sorted(load.items()):
        if count > mentor_capacity[mentor_id]:
            raise ProblemError(
                f"{count} fixed matches exceed capacity {mentor_capacity[mentor_id]}",
                record=f'mentor "{mentor_id}"',
                field="capacity",
            )
    for (mentor_id, code), count in sorted(group_load.items()):
        group_max = groups[code].group_max or 0
        if count > group_max:
            raise ProblemError(
                f"{count} fixed participants in {code!r} exceed its group_max {group_max}",
                record=f'mentor "{mentor_id}"',
                field="programmes",
            )


def valid_mentors(mentors: Sequence[Mentor]) -> tuple[Mentor, ...]:
    """The ``mentors`` that pass every check of their own: all of :func:`validate`'s but
    that their programmes be known, which is a problem's (for :func:`matching.mentor_pool`)."""

    def valid(some: tuple[Mentor, ...]) -> bool:
        try:
            codes = sorted({c for m in some for c in m.programmes})
            validate(
                Problem(
                    mentors=some,
                    newcomers=(),
                    policy=Policy(),
                    programmes=tuple(Programme(code) for code in codes),
                )
            )
        except (ProblemError, TypeError):
            return False
        return True

    every = tuple(mentors)
    if valid(every):
        return every
    return tuple(m for m in every if valid((m,)))
