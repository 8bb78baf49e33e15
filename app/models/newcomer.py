"""Newcomers registered by municipal coordinators; each programme is one request."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, utcnow
from app.models._mixins import Timestamped


class Newcomer(Timestamped, Base):
    __tablename__ = "newcomers"
    __table_args__ = (
        # A coordinator's newcomers, paged by id (also serves lookups by municipality alone).
        Index("ix_newcomers_municipality_id", "municipality", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality: Mapped[str] = mapped_column(String(3))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date | None]
    gender: Mapped[str | None] = mapped_column(String(10))
    languages: Mapped[list[str]]
    interests: Mapped[list[str]] = mapped_column(default=list)
    programmes: Mapped[list[str]]
    mentor_gender: Mapped[str | None] = mapped_column(String(10))
    max_distance_km: Mapped[float | None]
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)
