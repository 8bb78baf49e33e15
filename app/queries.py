"""Query helpers shared by the repositories."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.errors import NotFound

RowT = TypeVar("RowT")


def one_or_not_found(
    session: Session, query: Select[RowT], *, missing: str, for_update: bool = False
) -> RowT:
    """The one row of a scoped query (locked when ``for_update``), else :class:`NotFound`.

    Out of scope and nonexistent answer alike, so a caller cannot tell which it was.
    """
    if for_update:
        # A locked read must see the row as it is now, not as this session last loaded it.
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.scalar(query)
    if row is None:
        raise NotFound(missing)
    return row
