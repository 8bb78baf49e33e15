"""Household queries, scoped in SQL by the contact person's municipality."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.models import Household, HouseholdMember, Newcomer
from app.pagination import PageParams, paginate
from app.queries import one_or_not_found


def _contacts_in(municipalities: Collection[str]) -> Select[Any]:
    return (
        select(HouseholdMember.household_id)
        .join(Newcomer, Newcomer.id == HouseholdMember.newcomer_id)
        .where(HouseholdMember.position == 0, Newcomer.municipality.in_(list(municipalities)))
    )


def scoped(principal: Principal, municipality: str | None = None) -> Select[Household]:
    """Every household the principal may see (admins all, coordinators their contacts')."""
    query = select(Household)
    if municipality is not None:
        query = query.where(Household.id.in_(_contacts_in([municipality])))
    if principal.is_admin:
        return query
    if principal.role == "coordinator" and principal.municipalities:
        return query.where(Household.id.in_(_contacts_in(principal.municipalities)))
    return query.where(false())


def get_scoped(
    session: Session, principal: Principal, household_id: int, *, for_update: bool = False
) -> Household:
    """The household, or :class:`NotFound` when it does not exist or is out of scope."""
    query = scoped(principal).where(Household.id == household_id)
    return one_or_not_found(
        session, query, missing=f"No household {household_id}", for_update=for_update
    )


def list_scoped(
    session: Session, principal: Principal, params: PageParams, *, municipality: str | None
) -> tuple[Sequence[Household], str | None]:
    """A page of the households in scope, by id."""
    return paginate(session, scoped(principal, municipality), Household.id, params)


def municipalities_of(session: Session, households: Sequence[Household]) -> dict[int, str]:
    """Each household's contact person's municipality."""
    contacts = {h.contact_id: h.id for h in households if h.members}
    if not contacts:
        return {}
    rows = session.execute(
        select(Newcomer.id, Newcomer.municipality).where(Newcomer.id.in_(list(contacts)))
    )
    return {contacts[newcomer_id]: municipality for newcomer_id, municipality in rows}


def membership_of(session: Session, newcomer_ids: Collection[int]) -> dict[int, HouseholdMember]:
    """The membership rows of these newcomers (those in a household), by newcomer id."""
    if not newcomer_ids:
        return {}
    rows = session.scalars(
        select(HouseholdMember).where(HouseholdMember.newcomer_id.in_(list(newcomer_ids)))
    )
    return {row.newcomer_id: row for row in rows}


def household_of(session: Session, newcomer_id: int) -> Household | None:
    """The household a newcomer is in, if any."""
    return session.scalar(
        select(Household)
        .join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(HouseholdMember.newcomer_id == newcomer_id)
    )
