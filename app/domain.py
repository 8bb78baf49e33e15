"""Domain validation shared by the resource schemas and services.

The rules themselves live in :mod:`matching` (ISO 639 codes in ``matching.languages``, the 98
municipalities in ``matching.geo``, genders in ``matching.model``) so the API and the solver
refuse exactly the same input. This module turns them into pydantic types — each failure is a
422 naming the field — and adds the rules that need a date (ages, "not in the future").
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeVar, get_args

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from app import clock
from matching.geo import municipalities as municipalities  # re-exported: the reference data
from matching.languages import language_problem as language_problem  # re-exported
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
    "IsoDate",
    "IsoDateTime",
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
    "plain_text",
    "today",
    "unique",
]

GENDERS: tuple[str, ...] = get_args(Gender)
AssociationKind = Literal["red_cross", "refugee_council", "sports_club", "housing", "other"]

#: Ids are 32-bit integers on every database; larger ones cannot name a record.
MAX_ID = 2**31 - 1
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]

#: Unicode categories no text field may hold: controls (C0, DEL, C1 such as U+0085 NEL and
#: U+009B CSI), format characters (bidirectional overrides and isolates such as U+202E,
#: zero-width characters, the byte order mark, the soft hyphen) and the line and paragraph
#: separators U+2028/U+2029. They can hide or reorder what a coordinator reads.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
#: Letters that render as nothing (Hangul fillers) and the blank braille pattern.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
#: For the OpenAPI document only (JSON Schema patterns have no Unicode categories): the
#: refused characters of the Basic Multilingual Plane. The validator checks the categories.
_PLAIN_PATTERN = (
    r"^[^\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    r"\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]*$"
)

T = TypeVar("T")


today = clock.today


def plain_text(value: Any) -> Any:
    """Refuse text holding control, format or line-separator characters
    (``REFUSED_CATEGORIES``). Run before whitespace is stripped, so a trailing U+0085 or
    U+2028 is refused, not quietly cut off; anything but a string is left to the type check."""
    if isinstance(value, str):
        for character in value:
            if unicodedata.category(character) in REFUSED_CATEGORIES:
                raise ValueError(
                    f"must not contain control or format characters (U+{ord(character):04X})"
                )
    return value


def _visible(character: str) -> bool:
    # Letters, numbers, punctuation and symbols show; marks, spaces and fillers alone do not.
    return unicodedata.category(character)[0] in "LNPS" and character not in _BLANK_LETTERS


def _has_visible(value: str) -> str:
    if value and not any(_visible(character) for character in value):
        raise ValueError("must contain a visible character")
    return value


def _text(min_length: int, max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


_PLAIN = (BeforeValidator(plain_text), Field(json_schema_extra={"pattern": _PLAIN_PATTERN}))

#: The rule of every name and title: plain text (see ``plain_text``), at least one visible
#: character, surrounding whitespace stripped.
Name = Annotated[str, *_PLAIN, _text(1, 100), AfterValidator(_has_visible)]
Title = Annotated[str, *_PLAIN, _text(1, 200), AfterValidator(_has_visible)]
Description = Annotated[str, *_PLAIN, _text(0, 1000)]
Interest = Annotated[
    str, *_PLAIN, _text(1, 50), AfterValidator(_has_visible), AfterValidator(str.lower)
]


def _email(value: str) -> str:
    # email-validator checks the syntax (RFC 5322 / 6531) and normalises the domain; the
    # deliverability check would ask DNS, which a request must never wait for.
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"must be an e-mail address: {exc}") from None


Email = Annotated[
    str,
    BeforeValidator(plain_text),
    _text(3, 254),
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    """A date from its ISO 8601 text (``YYYY-MM-DD``); no numbers, no other forms."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be a date as YYYY-MM-DD")


def _iso_datetime(value: Any) -> Any:
    """A time from its ISO 8601 text with a zone (``2025-01-02T03:04:05Z``, ``+02:00``)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and "T" in value.upper():
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("must be an ISO 8601 date and time with a zone") from None
    else:
        raise ValueError("must be an ISO 8601 date and time with a zone")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("must carry a zone (Z or an offset such as +01:00)")
    return moment


#: Request bodies are strict (``InputModel``): a date is its ISO text, never a number.
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
#: A point in time as ISO text with a zone; a time without one is ambiguous, so refused.
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]

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
        if moment > clock.utcnow():
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
#: A newcomer's requests: none at all for a household member matched only through the
#: household (a child of a network family).
Requests = Annotated[list[ProgrammeCode], Field(max_length=20), AfterValidator(unique)]
Interests = Annotated[list[Interest], Field(max_length=30), AfterValidator(unique)]
Genders = Annotated[list[Gender], Field(min_length=1, max_length=3), AfterValidator(unique)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
DistanceKm = Annotated[float, Field(ge=0, le=1000)]
