"""Domain validation shared by the resource schemas and services.

The rules themselves live in :mod:`matching` (ISO 639 codes in ``matching.languages``, the 98
municipalities in ``matching.geo``, genders in ``matching.model``) so the API and the solver
refuse exactly the same input. This module turns them into pydantic types — each failure is a
422 naming the field — and adds the rules that need a date (ages, "not in the future").
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema

from matching.geo import municipalities
from matching.languages import language_problem
from matching.model import Gender

__all__ = [
    "GENDERS",
    "MAX_ID",
    "AssociationKind",
    "Description",
    "DistanceKm",
    "Email",
    "Gender",
    "Genders",
    "Interest",
    "Interests",
    "LanguageCode",
    "Languages",
    "Latitude",
    "Longitude",
    "MunicipalityCode",
    "Name",
    "Phone",
    "ProgrammeCode",
    "Programmes",
    "RecordId",
    "Title",
    "age_on",
    "check_not_future",
    "municipality_codes",
    "today",
    "unique",
]

GENDERS: tuple[str, ...] = get_args(Gender)
AssociationKind = Literal["red_cross", "refugee_council", "sports_club", "housing", "other"]

#: Ids are 32-bit integers on every database; larger ones cannot name a record.
MAX_ID = 2**31 - 1
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]

# No control characters (PostgreSQL refuses NUL in text; none belong in a name anyway).
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
_PRINTABLE_RE = re.compile(_PRINTABLE)

T = TypeVar("T")


def today() -> date:
    """Today's date in UTC (the service's clock; tests may patch it)."""
    return datetime.now(UTC).date()


def _printable(value: str) -> str:
    if not _PRINTABLE_RE.match(value):
        raise ValueError("must not contain control characters")
    return value


def _text(min_length: int, max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


#: Every free-text field refuses control characters; the pattern is for the OpenAPI document.
_PRINTABLE_SCHEMA = Field(json_schema_extra={"pattern": _PRINTABLE})

Name = Annotated[str, _text(1, 100), AfterValidator(_printable), _PRINTABLE_SCHEMA]
Title = Annotated[str, _text(1, 200), AfterValidator(_printable), _PRINTABLE_SCHEMA]
Description = Annotated[str, _text(0, 1000), AfterValidator(_printable), _PRINTABLE_SCHEMA]
Interest = Annotated[
    str, _text(1, 50), AfterValidator(_printable), AfterValidator(str.lower), _PRINTABLE_SCHEMA
]


def _email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain.strip(".") or " " in value:
        raise ValueError("must be an e-mail address")
    return value


Email = Annotated[
    str,
    _text(3, 254),
    AfterValidator(_printable),
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]

Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ()-]{4,38}$"),
    Field(examples=["+45 12 34 56 78"]),
]


def _language(code: str) -> str:
    problem = language_problem(code)
    if problem is not None:
        raise ValueError(problem)
    return code


LanguageCode = Annotated[
    str,
    StringConstraints(min_length=2, max_length=3, pattern=r"^[a-z]{2,3}$"),
    AfterValidator(_language),
    Field(description="An ISO 639 language code (639-1 where one exists)", examples=["ar"]),
]


def municipality_codes() -> list[str]:
    """The 98 official three-digit kommunekoder, sorted."""
    return sorted(municipalities())


def _municipality(code: str) -> str:
    if code not in municipalities():
        raise ValueError(f"unknown kommunekode {code!r}")
    return code


MunicipalityCode = Annotated[
    str,
    AfterValidator(_municipality),
    WithJsonSchema(
        {
            "type": "string",
            "enum": municipality_codes(),
            "description": "A Danish municipality by its three-digit kommunekode",
        }
    ),
]


def unique(values: list[T]) -> list[T]:
    """Refuse a list that names the same thing twice."""
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{value!r} is listed twice")
        seen.add(value)
    return values


def check_not_future(value: date | datetime | None) -> None:
    """Raise ``ValueError`` when a date or time lies in the future."""
    if value is None:
        return
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        if moment > datetime.now(UTC):
            raise ValueError("must not be in the future")
    elif value > today():
        raise ValueError("must not be in the future")


def age_on(birth_date: date, day: date) -> int:
    """Whole years between ``birth_date`` and ``day`` (a birthday on 29 February counts on 1 March
    in common years)."""
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)


# Lists and numbers shared by mentors and newcomers.
ProgrammeCode = Annotated[str, StringConstraints(min_length=1, max_length=50)]
Languages = Annotated[
    list[LanguageCode], Field(min_length=1, max_length=20), AfterValidator(unique)
]
Programmes = Annotated[
    list[ProgrammeCode], Field(min_length=1, max_length=20), AfterValidator(unique)
]
Interests = Annotated[list[Interest], Field(max_length=30), AfterValidator(unique)]
Genders = Annotated[list[Gender], Field(min_length=1, max_length=3), AfterValidator(unique)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
DistanceKm = Annotated[float, Field(ge=0, le=1000)]
