"""API key queries (admins only reach them)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiKey
from app.pagination import PageParams, paginate
from app.queries import one_or_not_found


def get(session: Session, key_id: int, *, for_update: bool = False) -> ApiKey:
    """The key, or :class:`NotFound`."""
    query = select(ApiKey).where(ApiKey.id == key_id)
    return one_or_not_found(session, query, missing=f"No API key {key_id}", for_update=for_update)


def lock_live_admins(session: Session) -> list[int]:
    """Lock every unrevoked admin key, in id order, and return their ids.

    Every revocation of an admin key takes these locks first and in the same order, so two
    revocations of the last two admin keys run one after the other and the second sees the
    first's (PostgreSQL re-reads a locked row once its locker commits; SQLite has one writer).
    """
    query = (
        select(ApiKey.id)
        .where(ApiKey.role == "admin", ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.id)
        .with_for_update()
    )
    return list(session.scalars(query))


def list_page(
    session: Session, params: PageParams, *, revoked: bool | None = None
) -> tuple[Sequence[ApiKey], str | None]:
    """A page of keys by id, optionally only the revoked (or the live) ones."""
    query = select(ApiKey)
    if revoked is True:
        query = query.where(ApiKey.revoked_at.is_not(None))
    elif revoked is False:
        query = query.where(ApiKey.revoked_at.is_(None))
    return paginate(session, query, ApiKey.id, params)
