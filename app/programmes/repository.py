"""Programme queries. Every role reads every programme (they are not personal data)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Programme
from app.pagination import PageParams, paginate
from app.queries import one_or_not_found


def get(session: Session, code: str, *, for_update: bool = False) -> Programme:
    """The programme, or :class:`NotFound`."""
    query = select(Programme).where(Programme.code == code)
    return one_or_not_found(session, query, missing=f"No programme {code!r}", for_update=for_update)


def find(session: Session, code: str) -> Programme | None:
    """The programme, or None."""
    return session.get(Programme, code)


def by_codes(session: Session, codes: Collection[str]) -> dict[str, Programme]:
    """The programmes among ``codes`` that exist, by code."""
    if not codes:
        return {}
    rows = session.scalars(select(Programme).where(Programme.code.in_(list(codes))))
    return {row.code: row for row in rows}


def every_by_code(session: Session) -> dict[str, Programme]:
    """Every programme, by code."""
    return {row.code: row for row in session.scalars(select(Programme))}


def list_page(
    session: Session, params: PageParams, *, active: bool | None = None
) -> tuple[Sequence[Programme], str | None]:
    """A page of programmes, by code."""
    query = select(Programme)
    if active is not None:
        query = query.where(Programme.active == active)
    return paginate(session, query, Programme.code, params)
