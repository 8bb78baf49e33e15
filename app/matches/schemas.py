"""Request and response bodies of ``/api/v1/matches``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from app.domain import RecordId, unique
from app.models import MatchSource, MatchStatus

__all__ = [
    "ABSOLUTE_RULES",
    "NO_NUL",
    "OVERRIDABLE_RULES",
    "AssociationMatchRead",
    "GroupMate",
    "GroupRead",
    "HouseholdMemberForMentor",
    "HouseholdOfMatch",
    "MatchCreate",
    "MatchDecision",
    "MatchRead",
    "MatchStatus",
    "NewcomerForMentor",
]

#: No NUL characters: PostgreSQL text cannot hold them (a 422, not a 500).
NO_NUL = r"^[^\x00]*$"

#: Hard rules (shared/design/MATCHING.md) a manual proposal can never break.
ABSOLUTE_RULES: tuple[str, ...] = ("programme", "child_safety")
#: Hard rules a coordinator may override for a manual proposal, explicitly and with a reason.
#: The seventh, ``capacity``, is not checked for proposals at all (accepting enforces it).
OVERRIDABLE_RULES: tuple[str, ...] = ("language", "distance", "gender", "forbidden")


def _overridable(rule: str) -> str:
    if rule in ABSOLUTE_RULES:
        raise ValueError(f"{rule!r} is absolute and can never be overridden")
    if rule not in OVERRIDABLE_RULES:
        raise ValueError(f"unknown rule {rule!r}; one of {', '.join(OVERRIDABLE_RULES)}")
    return rule


OverridableRule = Annotated[
    str,
    AfterValidator(_overridable),
    WithJsonSchema({"type": "string", "enum": list(OVERRIDABLE_RULES)}),
]


class MatchCreate(BaseModel):
    """A coordinator's manual match; it starts as ``proposed``.

    The pair is held to the solver's hard rules: ``programme`` (with its age range) and
    ``child_safety`` are absolute; ``language``, ``distance``, ``gender`` and ``forbidden`` (a
    pair rejected or ended before) may be broken only when listed in ``overrides``, with an
    ``override_reason``.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    newcomer_id: RecordId
    mentor_id: RecordId
    programme: str = Field(min_length=1, max_length=50, pattern=NO_NUL)
    overrides: Annotated[
        list[OverridableRule], Field(max_length=len(OVERRIDABLE_RULES)), AfterValidator(unique)
    ] = Field(default_factory=list, description="Hard rules the proposal may break")
    override_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        pattern=NO_NUL,
        description="Why the rules in `overrides` are overridden (required with them)",
    )


class MatchDecision(BaseModel):
    """The body of ``reject`` and ``end``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    reason: str = Field(min_length=1, max_length=500, pattern=NO_NUL)


class GroupMate(BaseModel):
    """Another participant of the same trainer's group."""

    match_id: int
    newcomer_id: int | None = Field(default=None, description="Not shown to associations")


class GroupRead(BaseModel):
    """The trainer's group a group-programme match is part of (its live matches)."""

    size: int = Field(description="Participants proposed or accepted with this trainer")
    others: list[GroupMate] = Field(description="The other participants the caller may see")


class HouseholdOfMatch(BaseModel):
    """The household a household match is for (staff view)."""

    id: int
    members: list[int] = Field(description="Newcomer ids, the contact person first")


class MatchRead(BaseModel):
    """A match as staff (admins, coordinators) see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    newcomer_id: int
    mentor_id: int
    programme: str
    status: MatchStatus
    score: float | None
    components: dict[str, Any] | None
    distance_km: float | None
    source: MatchSource
    run_id: int | None
    reason: str | None
    overrides: list[str] = Field(description="Hard rules a manual proposal overrode")
    override_reason: str | None
    household_id: int | None = Field(
        default=None, description="Set on a household's match (newcomer_id: its contact person)"
    )
    household: HouseholdOfMatch | None = None
    group: GroupRead | None = Field(default=None, description="Set on group-programme matches")
    created_at: datetime
    decided_at: datetime | None
    ended_at: datetime | None


class NewcomerForMentor(BaseModel):
    """Only what a mentor needs to know of the newcomer."""

    first_name: str
    age: int | None
    languages: list[str]
    municipality: str
    programme: str


class HouseholdMemberForMentor(BaseModel):
    """What a mentor family needs to know of a household member."""

    first_name: str
    age: int | None
    languages: list[str]
    municipality: str


class AssociationMatchRead(BaseModel):
    """A match as the mentor's association sees it: no contact details of the newcomer."""

    id: int
    mentor_id: int
    programme: str
    status: MatchStatus
    newcomer: NewcomerForMentor
    household: list[HouseholdMemberForMentor] | None = Field(
        default=None, description="A household match's members, the contact person first"
    )
    group: GroupRead | None = None
    created_at: datetime
    decided_at: datetime | None
    ended_at: datetime | None
