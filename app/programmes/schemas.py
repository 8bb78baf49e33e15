"""Request and response bodies of ``/programmes``."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.domain import Description, LanguageCode, Title
from app.resources import InputModel, NotNull, PatchModel

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,49}$")]
Age = Annotated[int, Field(ge=0, le=120)]


def _ascending(days: list[int]) -> list[int]:
    if any(a >= b for a, b in pairwise(days)):
        raise ValueError("must be strictly ascending, without repeats")
    return days


#: Days after acceptance when a coordinator follows up on a match: 1 to 5 points, each 1 to
#: 730 days, strictly ascending.
FollowUpDays = Annotated[
    list[Annotated[int, Field(ge=1, le=730)]],
    Field(min_length=1, max_length=5),
    AfterValidator(_ascending),
]


class ProgrammeCreate(InputModel):
    """A new programme."""

    code: Code = Field(description="Lowercase identifier, e.g. `lets_network`; never changes")
    name: Title
    description: Description = ""
    min_age: Age | None = Field(default=None, description="Youngest newcomer, in years")
    max_age: Age | None = Field(default=None, description="Oldest newcomer, in years")
    requires_language: LanguageCode | None = Field(
        default=None, description="A language every mentor of the programme speaks"
    )
    requires_first_language: bool = Field(
        default=False, description="The mentor speaks the newcomer's first language"
    )
    active: bool = True
    follow_up_days: FollowUpDays = Field(
        default_factory=lambda: [30, 90], description="Days after acceptance to follow up"
    )


class ProgrammeUpdate(PatchModel):
    """Fields to change; the code never changes."""

    name: NotNull[Title] = None
    description: NotNull[Description] = None
    min_age: Age | None = None
    max_age: Age | None = None
    requires_language: LanguageCode | None = None
    requires_first_language: NotNull[bool] = None
    active: NotNull[bool] = None
    follow_up_days: NotNull[FollowUpDays] = None


class ProgrammeRead(BaseModel):
    """A programme as stored."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    description: str
    min_age: int | None
    max_age: int | None
    requires_language: str | None
    requires_first_language: bool
    active: bool
    follow_up_days: list[int]
    created_at: datetime
    updated_at: datetime
