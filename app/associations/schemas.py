"""Request and response bodies of ``/associations``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.domain import AssociationKind, Email, MunicipalityCode, Title, unique
from app.resources import InputModel, NotNull, PatchModel

Municipalities = Annotated[list[MunicipalityCode], Field(max_length=98), AfterValidator(unique)]


class AssociationCreate(InputModel):
    """A new association."""

    name: Title
    kind: AssociationKind
    contact_email: Email | None = None
    municipalities: Municipalities = Field(
        default_factory=list, description="Where it works; empty when anywhere"
    )


class AssociationUpdate(PatchModel):
    """Fields to change; the rest stay as they are."""

    name: NotNull[Title] = None
    kind: NotNull[AssociationKind] = None
    contact_email: Email | None = None
    municipalities: NotNull[Municipalities] = None


class AssociationRead(BaseModel):
    """An association as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    contact_email: str | None
    municipalities: list[str]
    created_at: datetime
    updated_at: datetime
