"""Request and response bodies of ``/households``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from app.domain import RecordId, unique
from app.resources import InputModel, NotNull, PatchModel

#: The members' newcomer ids in order: the first is the contact person.
Members = Annotated[list[RecordId], Field(min_length=1, max_length=20), AfterValidator(unique)]
_MEMBERS = "Newcomer ids, the contact person first (the household's requests are theirs)"


class HouseholdCreate(InputModel):
    """A new household of newcomers in the key's scope."""

    members: Members = Field(description=_MEMBERS)


class HouseholdUpdate(PatchModel):
    """The new member list: add, remove or reorder (honours ``If-Match``)."""

    members: NotNull[Members] = Field(default=None, description=_MEMBERS)


class HouseholdRead(BaseModel):
    """A household as stored."""

    id: int
    members: list[int] = Field(description=_MEMBERS)
    contact_id: int
    municipality: str = Field(description="The contact person's kommunekode (the scope)")
    created_at: datetime
    updated_at: datetime
