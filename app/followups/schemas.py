"""Request and response bodies of check-ins and the follow-ups due."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain import Description
from app.models import CheckInStatus
from app.resources import InputModel


class CheckInCreate(InputModel):
    """A coordinator's check-in on an accepted (or ended) match."""

    status: Literal["meeting", "paused", "not_started", "ended"] = Field(
        description="How the pair is doing"
    )
    note: Description | None = Field(
        default=None,
        description="Free text (plain text); part of the newcomer's export, erased with them",
    )


class CheckInRead(BaseModel):
    """A check-in as staff see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    match_id: int
    status: CheckInStatus
    note: str | None
    recorded_at: datetime
    recorded_by: str


class AssociationCheckInRead(BaseModel):
    """A check-in as the mentor's association sees it: without the coordinator's note."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    match_id: int
    status: CheckInStatus
    recorded_at: datetime


class FollowUpDue(BaseModel):
    """An accepted match whose latest follow-up point has passed without a check-in since."""

    match_id: int
    programme: str
    municipality: str
    newcomer_id: int
    mentor_id: int
    accepted_on: date
    due_on: date = Field(description="The follow-up point that has passed")
    days_after: int = Field(description="The point, in days after acceptance")
    last_check_in_on: date | None
