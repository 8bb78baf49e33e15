"""Mentor queries, scoped to the caller in SQL.

Admins see every mentor; an association key sees its own association's mentors, except
volunteers' sign-ups whose e-mail address is not yet confirmed; coordinators see none here
(they meet mentors through suggestions and matches, which show what they need).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, false, or_, select
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
        return query.where(Mentor.association_id == principal.association_id, _confirmed())
    return query.where(false())


def _confirmed() -> ColumnElement[bool]:
    """Not a sign-up, or a sign-up its volunteer confirmed (the association's view)."""
    return or_(Mentor.signup.is_(False), Mentor.signup_confirmed_at.is_not(None))


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


def pending_signups(
    session: Session, principal: Principal, params: PageParams
) -> tuple[Sequence[Mentor], str | None]:
    """A page of the confirmed sign-ups in scope awaiting approval, by id."""
    # The partial index's own predicate (signup AND signup_approved_at IS NULL), bare.
    query = scoped(principal).where(
        Mentor.signup, Mentor.signup_approved_at.is_(None), Mentor.active.is_(False)
    )
    return paginate(session, query, Mentor.id, params)


def by_signup_token_hash(session: Session, token_hash: str, *, lock: bool) -> Mentor | None:
    """The unconfirmed sign-up a confirmation link names (locked when ``lock``), or None."""
    query = select(Mentor).where(
        Mentor.signup_token_hash == token_hash, Mentor.signup_confirmed_at.is_(None)
    )
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()
