"""Cursor pagination over integer (or string) primary keys: ``{"items": [...], "next_cursor"}``."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.errors import ValidationFailed

T = TypeVar("T")
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
MAX_KEY = 2**31 - 1  # ids are 32-bit integers on every database


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    next_cursor: str | None


class PageParams(BaseModel):
    """``?limit=`` and ``?cursor=``."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> PageParams:
    """The pagination query parameters of a list route (``async``: no I/O, so FastAPI runs it
    on the event loop instead of a worker thread)."""
    return PageParams(limit=limit, cursor=cursor)


def encode_cursor(last_key: Any) -> str:
    """An opaque cursor after ``last_key``."""
    return base64.urlsafe_b64encode(json.dumps({"after": last_key}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    """The key a cursor points after; a 422 naming ``cursor`` when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("cursor", "not a valid cursor") from exc


def _valid_key(value: Any, expected: type) -> bool:
    """Whether a decoded cursor can be a key: a 32-bit id or a short UTF-8 code without NUL
    (anything else would overflow or fail in the database, not merely match nothing)."""
    if isinstance(value, bool) or not isinstance(value, expected):
        return False
    if isinstance(value, int):
        return 0 <= value <= MAX_KEY
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return len(value) <= 200 and "\x00" not in value
    return False


def cursor_after(params: PageParams, expected: type) -> Any:
    """The key ``params.cursor`` points after (None without one); a 422 naming ``cursor``
    when it is not one of ours or cannot be a key of type ``expected``."""
    if params.cursor is None:
        return None
    after = decode_cursor(params.cursor)
    if not _valid_key(after, expected):
        raise ValidationFailed("cursor", "not a valid cursor")
    return after


def page_of(found: Sequence[Any], limit: int, key: str) -> tuple[Sequence[Any], str | None]:
    """The first ``limit`` of ``found`` (read with ``limit + 1``) and the cursor after them
    (by their attribute ``key``) when there are more."""
    if len(found) > limit:
        found = found[:limit]
        return found, encode_cursor(getattr(found[-1], key))
    return found, None


def paginate(
    session: Session,
    query: Select[Any],
    key: InstrumentedAttribute[Any],
    params: PageParams,
    *,
    rows: bool = False,
) -> tuple[Sequence[Any], str | None]:
    """Rows of ``query`` ordered by ``key`` after the cursor, and the next cursor.

    The first column's values (ORM objects for ``select(Model)``), or with ``rows`` the rows
    themselves (for a ``select`` of columns, which loads no ORM objects)."""
    after = cursor_after(params, key.type.python_type)
    if after is not None:
        query = query.where(key > after)
    ordered = query.order_by(key).limit(params.limit + 1)
    found = session.execute(ordered).all() if rows else session.scalars(ordered).all()
    return page_of(found, params.limit, key.key)
