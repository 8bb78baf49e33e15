"""Request and response bodies of ``/api/v1/matches``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain import RecordId

MatchStatus = Literal["proposed", "accepted", "rejected", "ended", "superseded"]
#: No NUL characters: PostgreSQL text cannot hold them (a 422, not a 500).
NO_NUL = r"^[^\x00]*$"


class MatchCreate(BaseModel):
    """A coordinator's manual match; it starts as ``proposed``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    newcomer_id: RecordId
    mentor_id: RecordId
    programme: str = Field(min_length=1, max_length=50, pattern=NO_NUL)


class MatchDecision(BaseModel):
    """The body of ``reject`` and ``end``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    reason: str = Field(min_length=1, max_length=500, pattern=NO_NUL)


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
    source: str
    run_id: int | None
    reason: str | None
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


class AssociationMatchRead(BaseModel):
    """A match as the mentor's association sees it: no contact details of the newcomer."""

    id: int
    mentor_id: int
    programme: str
    status: MatchStatus
    newcomer: NewcomerForMentor
    created_at: datetime
    decided_at: datetime | None
    ended_at: datetime | None
