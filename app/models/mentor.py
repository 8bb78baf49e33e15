"""Volunteer mentors, owned by one association."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base
from app.models._mixins import Timestamped


class Mentor(Timestamped, Base):
    __tablename__ = "mentors"
    __table_args__ = (
        # The association's sign-ups awaiting approval, paged by id.
        Index(
            "ix_mentors_pending_signups",
            "association_id",
            "id",
            sqlite_where=text("signup AND signup_approved_at IS NULL"),
            postgresql_where=text("signup AND signup_approved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("associations.id", ondelete="RESTRICT"), index=True
    )
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    birth_year: Mapped[int | None]
    gender: Mapped[str | None] = mapped_column(String(10))
    languages: Mapped[list[str]]
    municipality: Mapped[str] = mapped_column(String(3), index=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    max_distance_km: Mapped[float | None]
    capacity: Mapped[int] = mapped_column(default=1)
    programmes: Mapped[list[str]]
    interests: Mapped[list[str]] = mapped_column(default=list)
    accepts_genders: Mapped[list[str] | None]
    child_certificate: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    #: Registered by the volunteer on the public sign-up page (inactive until approved).
    signup: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: When the volunteer consented to the processing of their data (sign-ups only).
    consent_at: Mapped[datetime | None]
    #: When the volunteer confirmed their e-mail address by the link mailed to them; a sign-up
    #: is shown to its association only then.
    signup_confirmed_at: Mapped[datetime | None]
    #: SHA-256 of the one-time confirmation link's token (None once it is used).
    signup_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: When the association approved the sign-up (the mentor became active); a mentor who
    #: stops later is not a sign-up awaiting approval again.
    signup_approved_at: Mapped[datetime | None]
