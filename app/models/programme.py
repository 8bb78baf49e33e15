"""Programmes (data, not code: seeded with the contract's defaults)."""

from __future__ import annotations

from sqlalchemy import JSON, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.models._mixins import Timestamped

#: Days after acceptance when a match is followed up, unless the programme says otherwise.
DEFAULT_FOLLOW_UP_DAYS = (30, 90)


class Programme(Timestamped, Base):
    __tablename__ = "programmes"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    requires_language: Mapped[str | None] = mapped_column(String(20))
    requires_first_language: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    #: Days after acceptance when a coordinator follows up on a match (ascending).
    follow_up_days: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_FOLLOW_UP_DAYS), server_default=text("'[30, 90]'")
    )
