"""Programmes (data, not code: seeded with the contract's defaults)."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base
from app.models._mixins import Timestamped

#: Days after acceptance when a match is followed up, unless the programme says otherwise.
DEFAULT_FOLLOW_UP_DAYS = (30, 90)

#: Who a programme matches: one newcomer, a household as one, or a trainer's group.
UNITS = ("person", "household", "group")
#: group_min/group_max are set exactly for group programmes, 1 <= group_min <= group_max.
GROUP_SIZE_RULE = (
    "(unit = 'group' AND group_min IS NOT NULL AND group_max IS NOT NULL "
    "AND group_min >= 1 AND group_min <= group_max) "
    "OR (unit <> 'group' AND group_min IS NULL AND group_max IS NULL)"
)


class Programme(Timestamped, Base):
    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint("unit IN ('person', 'household', 'group')", name="unit"),
        CheckConstraint(GROUP_SIZE_RULE, name="group_size"),
    )

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
    unit: Mapped[str] = mapped_column(String(20), default="person", server_default="person")
    group_min: Mapped[int | None]
    group_max: Mapped[int | None]
