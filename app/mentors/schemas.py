"""Request and response bodies of ``/mentors``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.domain import (
    DistanceKm,
    Email,
    Gender,
    Genders,
    Interests,
    Languages,
    Latitude,
    Longitude,
    MunicipalityCode,
    Name,
    Phone,
    Programmes,
    RecordId,
    today,
)
from app.resources import InputModel, NotNull, PatchModel

Capacity = Annotated[int, Field(ge=1, le=20, description="Newcomers at once, 1-20")]


def _not_future_year(year: int) -> int:
    if year > today().year:
        raise ValueError("must not be in the future")
    return year


BirthYear = Annotated[int, Field(ge=1900, le=2100), AfterValidator(_not_future_year)]


class MentorCreate(InputModel):
    """A new mentor. ``association_id`` is the key's own unless the key is an admin's."""

    association_id: RecordId | None = Field(
        default=None, description="Admins only; an association key's mentors are its own"
    )
    first_name: Name
    last_name: Name
    email: Email | None = None
    phone: Phone | None = None
    birth_year: BirthYear | None = None
    gender: Gender | None = None
    languages: Languages
    municipality: MunicipalityCode
    lat: Latitude | None = None
    lon: Longitude | None = None
    max_distance_km: DistanceKm | None = None
    capacity: Capacity = 1
    programmes: Programmes
    interests: Interests = Field(default_factory=list)
    accepts_genders: Genders | None = Field(
        default=None, description="Genders of newcomers the mentor takes; null for any"
    )
    child_certificate: bool = Field(default=False, description="A verified børneattest")
    active: bool = True


class MentorUpdate(PatchModel):
    """Fields to change; the rest stay as they are."""

    association_id: NotNull[RecordId] = None
    first_name: NotNull[Name] = None
    last_name: NotNull[Name] = None
    email: Email | None = None
    phone: Phone | None = None
    birth_year: BirthYear | None = None
    gender: Gender | None = None
    languages: NotNull[Languages] = None
    municipality: NotNull[MunicipalityCode] = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    max_distance_km: DistanceKm | None = None
    capacity: NotNull[Capacity] = None
    programmes: NotNull[Programmes] = None
    interests: NotNull[Interests] = None
    accepts_genders: Genders | None = None
    child_certificate: NotNull[bool] = None
    active: NotNull[bool] = None


class MentorRead(BaseModel):
    """A mentor as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    association_id: int
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    birth_year: int | None
    gender: Gender | None
    languages: list[str]
    municipality: str
    lat: float | None
    lon: float | None
    max_distance_km: float | None
    capacity: int
    programmes: list[str]
    interests: list[str]
    accepts_genders: list[Gender] | None
    child_certificate: bool
    active: bool
    created_at: datetime
    updated_at: datetime
