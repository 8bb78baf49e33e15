"""Request and response bodies of ``/api-keys``. No body ever carries a stored secret."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.auth import Role
from app.domain import MunicipalityCode, RecordId, Title, unique
from app.resources import InputModel


class ApiKeyCreate(InputModel):
    """A new key: an admin's; a coordinator's with its municipalities; an association's."""

    name: Title = Field(description="Who or what the key is for")
    role: Role
    association_id: RecordId | None = Field(default=None, description="For an association key")
    municipalities: (
        Annotated[list[MunicipalityCode], Field(max_length=98), AfterValidator(unique)] | None
    ) = Field(default=None, description="For a coordinator key")


class ApiKeyRead(BaseModel):
    """A key's metadata; the secret is never shown again."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Role
    association_id: int | None
    municipalities: list[str]
    prefix: str = Field(description="The public part of the key (`mk_<prefix>_...`)")
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    """A new key, with the key itself: the only time it is shown."""

    key: str | None = Field(
        description="`Authorization: Bearer <key>`. Null on an idempotent replay: the key is "
        "never stored, so a lost one is revoked and replaced."
    )
