"""API key queries (admins only reach them)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import ApiKey
from app.pagination import PageParams, paginate


def get(session: Session, key_id: int, *, for_update: bool = False) -> ApiKey:
    """The key, or :class:`NotFound`."""
    query = select(ApiKey).where(ApiKey.id == key_id)
    if for_update:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise NotFound(f"No API key {key_id}")
    return row


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
