"""Associations: Red Cross, the Danish Refugee Council, clubs — they own mentors."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.models._mixins import Timestamped


class Association(Timestamped, Base):
    __tablename__ = "associations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    municipalities: Mapped[list[str]] = mapped_column(default=list)
