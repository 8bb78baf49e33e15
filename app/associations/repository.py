"""Association queries, scoped to the caller in SQL.

Admins and coordinators see every association (organisations, not people: a coordinator needs
to know whom to ask for more mentors); an association key sees only its own record.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, exists, false, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.models import Association, Mentor
from app.pagination import PageParams, paginate
from app.queries import one_or_not_found


def scoped(principal: Principal) -> Select[Association]:
    """Every association the principal may see."""
    query = select(Association)
    if principal.role in ("admin", "coordinator"):
        return query
    if principal.role == "association" and principal.association_id is not None:
        return query.where(Association.id == principal.association_id)
    return query.where(false())


def get_scoped(
    session: Session, principal: Principal, association_id: int, *, for_update: bool = False
) -> Association:
    """The association, or :class:`NotFound` when it does not exist or is out of scope."""
    query = scoped(principal).where(Association.id == association_id)
    return one_or_not_found(
        session, query, missing=f"No association {association_id}", for_update=for_update
    )


def list_scoped(
    session: Session, principal: Principal, params: PageParams
) -> tuple[Sequence[Association], str | None]:
    """A page of the associations in scope, by id."""
    return paginate(session, scoped(principal), Association.id, params)


def exists_by_id(session: Session, association_id: int) -> bool:
    """Whether an association with this id exists (unscoped: for admins' references)."""
    return bool(session.scalar(select(exists().where(Association.id == association_id))))


def has_mentors(session: Session, association_id: int) -> bool:
    """Whether any mentor belongs to the association."""
    return bool(session.scalar(select(exists().where(Mentor.association_id == association_id))))


def hold(session: Session, association_id: int) -> bool:
    """Lock the association against deletion until the commit (``FOR KEY SHARE`` on
    PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers); whether it still exists.

    A mentor registered for it takes this first, so a concurrent delete either waits and
    then finds the mentor (409), or has deleted the association already (``False``).
    """
    query = (
        select(Association.id)
        .where(Association.id == association_id)
        .with_for_update(read=True, key_share=True)
    )
    return session.scalar(query) is not None


def by_signup_token(session: Session, token: str) -> Association:
    """The association whose public sign-up link this is, or :class:`NotFound`."""
    query = select(Association).where(Association.signup_token == token)
    return one_or_not_found(session, query, missing="No such sign-up link")
