"""Request and response bodies of ``/newcomers``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.domain import (
    DistanceKm,
    Gender,
    Interests,
    IsoDate,
    IsoDateTime,
    Languages,
    Latitude,
    Longitude,
    MunicipalityCode,
    Name,
    Requests,
    check_not_future,
)
from app.resources import InputModel, NotNull, PatchModel


def _past_date(value: date) -> date:
    check_not_future(value)
    return value


def _past_time(value: datetime) -> datetime:
    # Checked on the face value first: converting a year-1 time to UTC would overflow.
    if value.year < 2000:
        raise ValueError("must be in the year 2000 or later")
    check_not_future(value)
    return value


BirthDate = Annotated[IsoDate, Field(ge=date(1900, 1, 1)), AfterValidator(_past_date)]
RegisteredAt = Annotated[IsoDateTime, AfterValidator(_past_time)]

_LANGUAGES = "Ordered: the first is the primary language"
_PROGRAMMES = (
    "The requests, each matched on its own; none for a household member matched only "
    "through the household"
)


class NewcomerCreate(InputModel):
    """A new newcomer, in one of the key's municipalities."""

    municipality: MunicipalityCode
    first_name: Name
    last_name: Name
    birth_date: BirthDate | None = None
    gender: Gender | None = None
    languages: Languages = Field(description=_LANGUAGES)
    interests: Interests = Field(default_factory=list)
    programmes: Requests = Field(description=_PROGRAMMES)
    mentor_gender: Gender | None = Field(default=None, description="Wished mentor gender")
    max_distance_km: DistanceKm | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    registered_at: RegisteredAt | None = Field(
        default=None, description="When the waiting began; now when left out"
    )
    active: bool = True


class NewcomerUpdate(PatchModel):
    """Fields to change; the rest stay as they are (``registered_at`` never changes)."""

    municipality: NotNull[MunicipalityCode] = None
    first_name: NotNull[Name] = None
    last_name: NotNull[Name] = None
    birth_date: BirthDate | None = None
    gender: Gender | None = None
    languages: NotNull[Languages] = Field(default=None, description=_LANGUAGES)
    interests: NotNull[Interests] = None
    programmes: NotNull[Requests] = Field(default=None, description=_PROGRAMMES)
    mentor_gender: Gender | None = None
    max_distance_km: DistanceKm | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    active: NotNull[bool] = None


class NewcomerRead(BaseModel):
    """A newcomer as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    municipality: str
    first_name: str
    last_name: str
    birth_date: date | None
    gender: Gender | None
    languages: list[str]
    interests: list[str]
    programmes: list[str]
    mentor_gender: Gender | None
    max_distance_km: float | None
    lat: float | None
    lon: float | None
    registered_at: datetime
    active: bool
    created_at: datetime
    updated_at: datetime
