"""Inputs of the account use cases (the desk's forms and the CLI parse into these)."""

from __future__ import annotations

from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, StringConstraints

from app.auth import Role
from app.domain import MunicipalityCode, RecordId, unique
from app.resources import InputModel

MIN_PASSWORD, MAX_PASSWORD = 10, 200


def normalise_email(value: str) -> str:
    """The address as email-validator normalises it, lower-cased whole (people do not tell
    ``Anna@`` from ``anna@``); no deliverability look-up, so no network."""
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError("must be a valid e-mail address") from exc


AccountEmail = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=254),
    AfterValidator(normalise_email),
]
Password = Annotated[str, StringConstraints(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]


class AccountCreate(InputModel):
    """An invitation: who, and the one role and scope they act in (as an API key has)."""

    email: AccountEmail
    role: Role
    association_id: RecordId | None = None
    municipalities: Annotated[
        list[MunicipalityCode], Field(max_length=98), AfterValidator(unique)
    ] = Field(default_factory=list)
    #: The language of the notifications the account receives.
    language: Literal["da", "en"] = "da"


class SignIn(InputModel):
    """The sign-in form (the address is not validated beyond its length: a wrong one simply
    does not sign in)."""

    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD)]


class NewPassword(InputModel):
    """Choosing a password through a one-time link."""

    password: Password
