"""Request and response bodies of ``/associations``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.domain import AssociationKind, Email, MunicipalityCode, Title, unique
from app.notify.webhook import url_problem
from app.resources import InputModel, NotNull, PatchModel


def _webhook_url(value: str) -> str:
    problem = url_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


#: Where the association's notifications go as signed JSON instead of e-mail.
WebhookUrl = Annotated[
    str, StringConstraints(min_length=8, max_length=2000), AfterValidator(_webhook_url)
]
#: The HMAC-SHA256 key of the webhook's signatures (write-only: never shown back).
WebhookSecret = Annotated[str, StringConstraints(min_length=32, max_length=200)]
#: The language of its notifications.
NoticeLanguage = Literal["da", "en"]

Municipalities = Annotated[list[MunicipalityCode], Field(max_length=98), AfterValidator(unique)]


class AssociationCreate(InputModel):
    """A new association."""

    name: Title
    kind: AssociationKind
    contact_email: Email | None = None
    municipalities: Municipalities = Field(
        default_factory=list, description="Where it works; empty when anywhere"
    )
    language: NoticeLanguage = "da"
    webhook_url: WebhookUrl | None = None
    webhook_secret: WebhookSecret | None = None


class AssociationUpdate(PatchModel):
    """Fields to change; the rest stay as they are."""

    name: NotNull[Title] = None
    kind: NotNull[AssociationKind] = None
    contact_email: Email | None = None
    municipalities: NotNull[Municipalities] = None
    language: NotNull[NoticeLanguage] = None
    webhook_url: WebhookUrl | None = None
    webhook_secret: WebhookSecret | None = None


class AssociationRead(BaseModel):
    """An association as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    contact_email: str | None
    municipalities: list[str]
    language: str
    webhook_url: str | None
    created_at: datetime
    updated_at: datetime
