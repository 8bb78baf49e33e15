"""Households: newcomers who live together and ask for a ``unit: household`` programme as one.

A household's first member (``position`` 0) is its contact person: the household's requests
are theirs, its matches carry their ``newcomer_id`` (and the household's id), and its scope is
their municipality. A newcomer is in at most one household (the unique ``newcomer_id``).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import Base
from app.models._mixins import Timestamped


class Household(Timestamped, Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    members: Mapped[list[HouseholdMember]] = relationship(
        order_by="HouseholdMember.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )

    @property
    def member_ids(self) -> list[int]:
        """The members' newcomer ids, the contact person first."""
        return [m.newcomer_id for m in self.members]

    @property
    def contact_id(self) -> int:
        """The contact person's newcomer id."""
        return self.members[0].newcomer_id


class HouseholdMember(Base):
    __tablename__ = "household_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    newcomer_id: Mapped[int] = mapped_column(
        ForeignKey("newcomers.id", ondelete="CASCADE"), unique=True
    )
    #: 0 is the contact person; the others follow in the household's order.
    position: Mapped[int]
