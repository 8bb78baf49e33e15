"""Mentor queries, scoped to the caller in SQL.

Admins see every mentor; an association key sees its own association's mentors; coordinators
see none here (they meet mentors through suggestions and matches, which show what they need).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.models import Mentor
from app.pagination import PageParams, paginate
from app.queries import one_or_not_found


def scoped(principal: Principal) -> Select[Mentor]:
    """Every mentor the principal may see."""
    query = select(Mentor)
    if principal.is_admin:
        return query
    if principal.role == "association" and principal.association_id is not None:
        return query.where(Mentor.association_id == principal.association_id)
    return query.where(false())


def get_scoped(
    session: Session, principal: Principal, mentor_id: int, *, for_update: bool = False
) -> Mentor:
    """The mentor, or :class:`NotFound` when it does not exist or is out of scope."""
    query = scoped(principal).where(Mentor.id == mentor_id)
    return one_or_not_found(session, query, missing=f"No mentor {mentor_id}", for_update=for_update)


def list_scoped(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    association_id: int | None = None,
    municipality: str | None = None,
    active: bool | None = None,
) -> tuple[Sequence[Mentor], str | None]:
    """A page of the mentors in scope matching the filters, by id."""
    query = scoped(principal)
    if association_id is not None:
        query = query.where(Mentor.association_id == association_id)
    if municipality is not None:
        query = query.where(Mentor.municipality == municipality)
    if active is not None:
        query = query.where(Mentor.active == active)
    return paginate(session, query, Mentor.id, params)
