"""Request and response bodies of ``/programmes``."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.domain import Description, LanguageCode, Title
from app.resources import InputModel, NotNull, PatchModel

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,49}$")]
Age = Annotated[int, Field(ge=0, le=120)]
#: Who a programme matches: one newcomer, a household as one, or a trainer's group.
Unit = Literal["person", "household", "group"]
GroupSize = Annotated[int, Field(ge=1, le=100)]
_UNIT = (
    "`person` (one newcomer, one mentor), `household` (a household as one request, on its "
    "contact person) or `group` (a trainer's group of `group_min` to `group_max`)"
)
_GROUP_MIN = "Fewest participants a group runs with (group programmes only)"
_GROUP_MAX = "Most participants of one trainer's group (group programmes only)"


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
    unit: Unit = Field(default="person", description=_UNIT)
    group_min: GroupSize | None = Field(default=None, description=_GROUP_MIN)
    group_max: GroupSize | None = Field(default=None, description=_GROUP_MAX)


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
    unit: NotNull[Unit] = Field(default=None, description=_UNIT)
    group_min: GroupSize | None = Field(default=None, description=_GROUP_MIN)
    group_max: GroupSize | None = Field(default=None, description=_GROUP_MAX)


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
    unit: Unit
    group_min: int | None
    group_max: int | None
    created_at: datetime
    updated_at: datetime
