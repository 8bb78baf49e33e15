"""Associations: Red Cross, the Danish Refugee Council, clubs — they own mentors."""

from __future__ import annotations

import secrets

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base
from app.models._mixins import Timestamped


def new_signup_token() -> str:
    """An unguessable token for the association's public sign-up link (256 random bits)."""
    return secrets.token_urlsafe(32)


class Association(Timestamped, Base):
    __tablename__ = "associations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    municipalities: Mapped[list[str]] = mapped_column(default=list)
    #: The language of its notifications (``da`` or ``en``).
    language: Mapped[str] = mapped_column(String(2), default="da", server_default="da")
    #: Where its notifications go as signed JSON instead of e-mail (app/notify/webhook.py).
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    #: The HMAC key of its webhook; never shown back.
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    #: Names the association in its volunteers' sign-up link (``/join/<token>``), so the
    #: links cannot be enumerated as sequential ids could.
    signup_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_signup_token)
